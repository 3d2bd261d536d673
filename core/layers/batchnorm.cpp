#include "core/layers/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace strata {

// Channel c of an [N, C, S] view (S = H * W, or 1 for [N, C]) is the N runs of S contiguous
// values at i * C * S + c * S. Every loop below runs over blocks of channels in parallel (each
// channel's statistics and gradients are its own, so threads never share an output).

namespace {
constexpr int64_t kParallelMin = 16384;  // values; below this, a parallel loop costs more
}

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
  running_mean_ = Tensor(Shape{c_});  // zeros
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

namespace {

// Channels are processed in blocks: one channel at a time for 2-D input (its S values per sample
// are contiguous, and their partial sums vectorise), 64 at a time for 1-D input (S = 1: the block's
// values are contiguous within each sample's row, so rows are read in order rather than with a
// stride of C). Per-row partial sums are float (at most S values), totals double.
constexpr int64_t kBlock1d = 64;

struct Blocks {
  int64_t size, count;
  Blocks(int64_t C, int64_t S) : size(S == 1 ? kBlock1d : 1), count((C + size - 1) / size) {}
};

// Calls f(offset of channel c in sample i, j) for each sample i and channel c0 + j of the block.
template <class F>
inline void for_block(int64_t n, int64_t C, int64_t S, int64_t c0, int64_t nb, F&& f) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < nb; ++j) f((i * C + c0 + j) * S, j);
}

// The per-block steps, shared by the local path (all steps in one parallel loop) and the
// synchronised path (the same steps in separate parallel loops around each cross-rank sum), so
// that both compute exactly the same thing from the same statistics.
struct BlockArgs {
  int64_t n, C, S, c0, nb;
};

// sum[j] += the values of channel c0 + j.
inline void block_sum(const BlockArgs& k, const float* xp, double* sum) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    float p = 0.0f;
#pragma omp simd reduction(+ : p)
    for (int64_t s = 0; s < k.S; ++s) p += xs[s];
    sum[j] += p;
  });
}

// sq[j] += the squared deviations of channel c0 + j about mean[j]. A second pass rather than
// sum(x^2) - m * mean^2: no cancellation when |mean| >> std.
inline void block_sq_dev(const BlockArgs& k, const float* xp, const float* mean, double* sq) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    const float mu = mean[j];
    float p = 0.0f;
#pragma omp simd reduction(+ : p)
    for (int64_t s = 0; s < k.S; ++s) p += (xs[s] - mu) * (xs[s] - mu);
    sq[j] += p;
  });
}

// y = (x - mean) * scale + shift, per channel of the block.
inline void block_affine(const BlockArgs& k, const float* xp, float* yp, const float* mean,
                         const float* scale, const float* shift) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    float* ys = yp + off;
    const float mu = mean[j], kk = scale[j], t = shift[j];
#pragma omp simd
    for (int64_t s = 0; s < k.S; ++s) ys[s] = (xs[s] - mu) * kk + t;
  });
}

// sdy[j] += sum(dy), sdyx[j] += sum(dy * xhat) over channel c0 + j.
inline void block_grad_sums(const BlockArgs& k, const float* xp, const float* gp, const float* mean,
                            const float* inv, double* sdy, double* sdyx) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    const float* gs = gp + off;
    const float mu = mean[j], iv = inv[j];
    float p = 0.0f, q = 0.0f;
#pragma omp simd reduction(+ : p, q)
    for (int64_t s = 0; s < k.S; ++s) {
      p += gs[s];
      q += gs[s] * ((xs[s] - mu) * iv);
    }
    sdy[j] += p;
    sdyx[j] += q;
  });
}

// Through the batch statistics: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)),
// with a = mean(dy) and bx = mean(dy * xhat) over the batch the statistics came from.
inline void block_dx_train(const BlockArgs& k, const float* xp, const float* gp, float* dp,
                           const float* mean, const float* inv, const float* scale, const float* a,
                           const float* bx) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    const float* gs = gp + off;
    float* ds = dp + off;
    const float mu = mean[j], iv = inv[j], kk = scale[j], aa = a[j], bb = bx[j];
#pragma omp simd
    for (int64_t s = 0; s < k.S; ++s) ds[s] = kk * (gs[s] - aa - (xs[s] - mu) * iv * bb);
  });
}

// The global value count travels in the cross-rank buffer as two floats, m / 4096 and m % 4096:
// each is an integer that float holds exactly, and so are their sums over ranks while the high
// parts total below 2^24 (M < 2^36 values per channel) and the low parts too (fewer than 4096
// ranks), whatever order the sum adds them in. One float would be exact only up to 2^24.
constexpr int64_t kCountSplit = 4096;
constexpr int64_t kCountMax = int64_t{1} << 36;
constexpr float kCountExact = 16777216.0f;  // 2^24

}  // namespace

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

// Train mode over the global batch: the same steps as forward(), split into three parallel loops
// by the two cross-rank sums, which stay outside any parallel region (a collective call from
// inside one would run once per thread). sync_ carries the per-channel values between them.
void BatchNorm::forward_synced(const Tensor& x, Tensor& y) {
  const int64_t n = x.dim(0), C = c_, S = spatial_, m = n * S;
  const float* xp = x.data();
  float* yp = y.data();
  const float* g = o_.affine ? gamma_.data() : nullptr;
  const float* b = o_.affine ? beta_.data() : nullptr;
  float* rm = running_mean_.data();
  float* rv = running_var_.data();
  float* mp = mean_.data();
  float* ip = invstd_.data();
  float* buf = sync_.data();
  const double eps = o_.eps;
  const float mom = o_.momentum;
  const Blocks blocks(C, S);
  const bool par = n * C * S >= kParallelMin;
  STRATA_CHECK(m < kCountMax, "batchnorm: " << m << " values per channel on one rank (input "
                                            << x.shape().str() << "); at most 2^36 are supported");

  // 1. This rank's per-channel sums and value count, summed over ranks.
#pragma omp parallel for if (par)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    double sum[kBlock1d] = {};
    block_sum(BlockArgs{n, C, S, c0, nb}, xp, sum);
    for (int64_t j = 0; j < nb; ++j) buf[c0 + j] = static_cast<float>(sum[j]);
  }
  buf[C] = static_cast<float>(m / kCountSplit);
  buf[C + 1] = static_cast<float>(m % kCountSplit);
  sum_->sum(buf, C + 2);
  // A part of 2^24 or more may have been rounded: M would be wrong with no sign of it.
  STRATA_CHECK(buf[C] < kCountExact && buf[C + 1] < kCountExact,
               "synchronised batchnorm: the global batch has too many values per channel (or too "
               "many ranks) to count exactly; at most 2^36 values and 4096 ranks are supported");
  const int64_t M = static_cast<int64_t>(buf[C]) * kCountSplit + static_cast<int64_t>(buf[C + 1]);
  // Every rank has the same M, so all throw here together and none waits in the next sum.
  STRATA_CHECK(M > 1,
               "synchronised batchnorm in train mode needs more than one value per "
               "channel over all ranks, got "
                   << M << " (this rank's input " << x.shape().str()
                   << "); use a global batch size above 1");
  global_m_ = M;
  const double md = static_cast<double>(M);

  // 2. Squared deviations about the global mean, summed over ranks.
#pragma omp parallel for if (par)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    double sq[kBlock1d] = {};
    for (int64_t j = 0; j < nb; ++j) mp[c0 + j] = static_cast<float>(buf[c0 + j] / md);
    block_sq_dev(BlockArgs{n, C, S, c0, nb}, xp, mp + c0, sq);
    for (int64_t j = 0; j < nb; ++j) buf[c0 + j] = static_cast<float>(sq[j]);
  }
  sum_->sum(buf, C);

  // 3. Statistics, running statistics (the same on every rank: they come from the same sums) and
  // the normalised output.
  const double unbias = md / (md - 1.0);
#pragma omp parallel for if (par)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    float scale[kBlock1d], shift[kBlock1d];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t c = c0 + j;
      const double var = buf[c] / md;  // biased: what normalises the batch
      const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
      ip[c] = inv;
      scale[j] = (g ? g[c] : 1.0f) * inv;
      shift[j] = b ? b[c] : 0.0f;
      rm[c] = (1.0f - mom) * rm[c] + mom * mp[c];
      rv[c] = (1.0f - mom) * rv[c] + mom * static_cast<float>(var * unbias);  // unbiased
    }
    block_affine(BlockArgs{n, C, S, c0, nb}, xp, yp, mp + c0, scale, shift);
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

// Train mode over the global batch: this rank's sum(dy) and sum(dy * xhat) go into dgamma and
// dbeta as they are (the gradient reducer combines parameter gradients across ranks, as for any
// other layer), and their sums over ranks, divided by the global count, into dx.
void BatchNorm::backward_synced(const Tensor& x, const Tensor& dy, Tensor& dx, bool pgrads) {
  const int64_t n = x.dim(0), C = c_, S = spatial_;
  const float* xp = x.data();
  const float* gp = dy.data();
  float* dp = dx.data();
  const float* g = o_.affine ? gamma_.data() : nullptr;
  float* dg = pgrads ? dgamma_.data() : nullptr;
  float* db = pgrads ? dbeta_.data() : nullptr;
  const float* mp = mean_.data();
  const float* ip = invstd_.data();
  float* buf = sync_.data();  // [sum(dy) for each channel, then sum(dy * xhat) for each]
  const double md = static_cast<double>(global_m_);
  const Blocks blocks(C, S);
  const bool par = n * C * S >= kParallelMin;

#pragma omp parallel for if (par)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    double sdy[kBlock1d] = {}, sdyx[kBlock1d] = {};
    block_grad_sums(BlockArgs{n, C, S, c0, nb}, xp, gp, mp + c0, ip + c0, sdy, sdyx);
    for (int64_t j = 0; j < nb; ++j) {
      if (pgrads) {
        dg[c0 + j] += static_cast<float>(sdyx[j]);
        db[c0 + j] += static_cast<float>(sdy[j]);
      }
      buf[c0 + j] = static_cast<float>(sdy[j]);
      buf[C + c0 + j] = static_cast<float>(sdyx[j]);
    }
  }
  sum_->sum(buf, 2 * C);

#pragma omp parallel for if (par)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    float k[kBlock1d], a[kBlock1d], bx[kBlock1d];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t c = c0 + j;
      k[j] = (g ? g[c] : 1.0f) * ip[c];
      a[j] = static_cast<float>(buf[c] / md);
      bx[j] = static_cast<float>(buf[C + c] / md);
    }
    block_dx_train(BlockArgs{n, C, S, c0, nb}, xp, gp, dp, mp + c0, ip + c0, k, a, bx);
  }
}

}  // namespace strata
