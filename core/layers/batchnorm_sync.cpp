// BatchNorm (batchnorm.h), synchronised: train-mode forward and backward over the global batch
// of all data-parallel ranks, through the CrossRankSum set with set_cross_rank_sum (as PyTorch's
// SyncBatchNorm). The same per-block loops as the local path (batchnorm_kernels.h), split into
// parallel loops around each cross-rank sum.
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
using detail::kBlock1d;
using detail::kParallelMin;

namespace {

// The global value count travels in the cross-rank buffer as two floats, m / 4096 and m % 4096:
// each is an integer that float holds exactly, and so are their sums over ranks while the high
// parts total below 2^24 (M < 2^36 values per channel) and the low parts too (fewer than 4096
// ranks), whatever order the sum adds them in. One float would be exact only up to 2^24.
constexpr int64_t kCountSplit = 4096;
constexpr int64_t kCountMax = int64_t{1} << 36;
constexpr float kCountExact = 16777216.0f;  // 2^24

}  // namespace

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
