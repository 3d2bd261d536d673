// BatchNorm (batchnorm.h): construction, build, parameters, and forward and backward over this
// rank's batch (train and eval mode). The synchronised train-mode path, over the global batch of
// all ranks, is in batchnorm_sync.cpp; both use the per-block loops of batchnorm_kernels.h.
#include "core/layers/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/layers/batchnorm_kernels.h"

namespace strata {

using detail::block_affine;
using detail::block_dx_train;
using detail::block_grad_sums;
using detail::block_sq_dev;
using detail::block_sum;
using detail::BlockArgs;
using detail::Blocks;
using detail::for_block;
using detail::kBlock1d;
using detail::kParallelMin;

BatchNorm::BatchNorm(const BatchNormOptions& o) : o_(o) {
  STRATA_CHECK(o.momentum >= 0.0f && o.momentum <= 1.0f,
               "batchnorm: momentum must be in [0, 1], got " << o.momentum);
  STRATA_CHECK(o.eps > 0.0f, "batchnorm: eps must be positive, got " << o.eps);
}

Shape BatchNorm::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 2 || in.rank() == 4,
               "batchnorm expects input [N, C] (1-D) or [N, C, H, W] (2-D), got "
                   << in.str() << " (rank " << in.rank() << ")");
  c_ = in[1];
  spatial_ = in.rank() == 4 ? in[2] * in[3] : 1;
  STRATA_CHECK(c_ > 0 && spatial_ > 0, "batchnorm: input " << in.str() << " has no values");
  running_mean_ = Tensor::zeros(Shape{c_});
  running_var_ = Tensor(Shape{c_});
  running_var_.fill(1.0f);
  mean_ = Tensor(Shape{c_});
  invstd_ = Tensor(Shape{c_});
  // Forward sends C + 2 floats, backward 2C; sized here so that a step allocates nothing, whether
  // or not a CrossRankSum is set later.
  sync_.assign(static_cast<size_t>(2 * c_ + 2), 0.0f);
  return in;
}

std::vector<ParamSpec> BatchNorm::param_specs() const {
  if (!o_.affine) return {};
  return {{"weight", Shape{c_}, InitSpec::ones(), false},
          {"bias", Shape{c_}, InitSpec::zeros(), false}};
}

void BatchNorm::bind(std::span<Tensor> params, std::span<Tensor> grads) {
  if (!o_.affine) return;
  gamma_ = params[0];
  beta_ = params[1];
  dgamma_ = grads[0];
  dbeta_ = grads[1];
}

void BatchNorm::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  if (ctx.training && sum_) {
    forward_synced(x, y);
    return;
  }
  const int64_t n = x.dim(0), C = c_, S = spatial_, m = n * S;
  const float* xp = x.data();
  float* yp = y.data();
  const float* g = o_.affine ? gamma_.data() : nullptr;
  const float* b = o_.affine ? beta_.data() : nullptr;
  float* rm = running_mean_.data();
  float* rv = running_var_.data();
  float* mp = mean_.data();
  float* ip = invstd_.data();
  const double eps = o_.eps;
  const bool train = ctx.training;
  STRATA_CHECK(!train || m > 1,
               "batchnorm in train mode needs more than one value per channel, "
               "got input "
                   << x.shape().str() << "; use a batch size above 1");
  const float mom = o_.momentum;
  const double unbias = static_cast<double>(m) / static_cast<double>(m - 1);
  const Blocks blocks(C, S);

#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    const BlockArgs k{n, C, S, c0, nb};
    float mean[kBlock1d], scale[kBlock1d], shift[kBlock1d];
    if (train) {
      double sum[kBlock1d] = {}, sq[kBlock1d] = {};
      block_sum(k, xp, sum);
      for (int64_t j = 0; j < nb; ++j)
        mean[j] = static_cast<float>(sum[j] / static_cast<double>(m));
      block_sq_dev(k, xp, mean, sq);
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t c = c0 + j;
        const double var = sq[j] / static_cast<double>(m);  // biased: what normalises the batch
        const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
        mp[c] = mean[j];
        ip[c] = inv;
        scale[j] = (g ? g[c] : 1.0f) * inv;
        rm[c] = (1.0f - mom) * rm[c] + mom * mean[j];
        rv[c] = (1.0f - mom) * rv[c] + mom * static_cast<float>(var * unbias);  // unbiased
      }
    } else {
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t c = c0 + j;
        mean[j] = rm[c];
        scale[j] = static_cast<float>((g ? g[c] : 1.0f) / std::sqrt(rv[c] + eps));
      }
    }
    for (int64_t j = 0; j < nb; ++j) shift[j] = b ? b[c0 + j] : 0.0f;
    block_affine(k, xp, yp, mean, scale, shift);
  }
}

void BatchNorm::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                         const StepContext& ctx) {
  const int64_t n = x.dim(0), C = c_, S = spatial_, m = n * S;
  const bool pgrads = ctx.param_grads && o_.affine;
  if (!pgrads && !dx) return;
  const bool train = ctx.training;
  // Without dx (the model's first layer) only the local dgamma and dbeta are wanted, and no global
  // sum is needed; the model is the same on every rank, so all ranks skip it alike.
  if (train && sum_ && dx) {
    backward_synced(x, dy, *dx, pgrads);
    return;
  }
  const float* xp = x.data();
  const float* gp = dy.data();
  float* dp = dx ? dx->data() : nullptr;
  const float* g = o_.affine ? gamma_.data() : nullptr;
  float* dg = pgrads ? dgamma_.data() : nullptr;
  float* db = pgrads ? dbeta_.data() : nullptr;
  const float* rm = running_mean_.data();
  const float* rv = running_var_.data();
  const float* mp = mean_.data();
  const float* ip = invstd_.data();
  const double eps = o_.eps;
  const Blocks blocks(C, S);

#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    const BlockArgs kb{n, C, S, c0, nb};
    // Train mode: the statistics of the forward's batch; eval mode: the running statistics.
    float mean[kBlock1d], inv[kBlock1d], k[kBlock1d], a[kBlock1d], bx[kBlock1d];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t c = c0 + j;
      mean[j] = train ? mp[c] : rm[c];
      inv[j] = train ? ip[c] : static_cast<float>(1.0 / std::sqrt(rv[c] + eps));
      k[j] = (g ? g[c] : 1.0f) * inv[j];
    }
    if (train || pgrads) {
      double sdy[kBlock1d] = {}, sdyx[kBlock1d] = {};  // sum(dy), sum(dy * xhat)
      block_grad_sums(kb, xp, gp, mean, inv, sdy, sdyx);
      for (int64_t j = 0; j < nb; ++j) {
        if (pgrads) {
          dg[c0 + j] += static_cast<float>(sdyx[j]);
          db[c0 + j] += static_cast<float>(sdy[j]);
        }
        a[j] = static_cast<float>(sdy[j] / static_cast<double>(m));
        bx[j] = static_cast<float>(sdyx[j] / static_cast<double>(m));
      }
    }
    if (!dp) continue;
    if (train) {
      block_dx_train(kb, xp, gp, dp, mean, inv, k, a, bx);
    } else {  // fixed statistics: an affine map
      for_block(n, C, S, c0, nb, [&](int64_t off, int64_t j) {
        const float* gs = gp + off;
        float* ds = dp + off;
        const float kk = k[j];
#pragma omp simd
        for (int64_t s = 0; s < S; ++s) ds[s] = kk * gs[s];
      });
    }
  }
}

}  // namespace strata
