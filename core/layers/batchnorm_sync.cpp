// BatchNorm (batchnorm.h), synchronised: train-mode forward and backward over the global batch
// of all data-parallel ranks, through the CrossRankSum set with set_cross_rank_sum (as PyTorch's
// SyncBatchNorm): the steps of core/ops/batchnorm.h with the cross-rank sums between them, which
// stay outside any parallel region (a collective call from inside one would run once per thread).
// The global batch's value count per channel is StepContext::global_batch times H * W: every rank
// knows it, so it needs no communication.
#include "core/layers/batchnorm.h"

#include "core/error.h"

namespace strata {

void BatchNorm::forward_synced(const Tensor& x, Tensor& y, const StepContext& ctx) {
  STRATA_CHECK(ctx.global_batch >= x.dim(0),
               "synchronised batchnorm needs the step's global batch size (StepContext::"
               "global_batch "
                   << ctx.global_batch << ", this rank's batch " << x.dim(0) << ")");
  const int64_t M = ctx.global_batch * spatial_;
  // Every rank has the same M, so all throw here together and none waits in the next sum.
  STRATA_CHECK(M > 1,
               "synchronised batchnorm in train mode needs more than one value per "
               "channel over all ranks, got "
                   << M << " (this rank's input " << x.shape().str()
                   << "); use a global batch size above 1");
  global_m_ = M;
  const BatchNormArgs a = args(x.dim(0));
  const BatchNormBuffers b = buffers();
  float* buf = workspace_.data();
  dispatch(*ctx.backend, [&](auto& be) {
    // 1. This rank's per-channel sums, summed over ranks.
    batchnorm_sync_sums(be, a, x.data(), buf);
    sum_->sum(buf, c_);
    // 2. Squared deviations about the global mean, summed over ranks.
    batchnorm_sync_deviations(be, a, M, buf, x.data(), b.mean, buf);
    sum_->sum(buf, c_);
    // 3. The statistics, the running statistics and the normalised output.
    batchnorm_sync_normalize(be, a, M, b, buf, x.data(), y.data());
  });
}

// This rank's sum(dy) and sum(dy * xhat) go into dgamma and dbeta as they are (the gradient
// reducer combines parameter gradients across ranks, as for any other layer), and their sums over
// ranks, divided by the global count, into dx.
void BatchNorm::backward_synced(const Tensor& x, const Tensor& dy, Tensor& dx, bool pgrads,
                                const StepContext& ctx) {
  const BatchNormArgs a = args(x.dim(0));
  const BatchNormBuffers b = buffers();
  float* buf = workspace_.data();  // [sum(dy) for each channel, then sum(dy * xhat) for each]
  dispatch(*ctx.backend, [&](auto& be) {
    batchnorm_sync_grad_sums(be, a, b, x.data(), dy.data(), pgrads ? dgamma_.data() : nullptr,
                             pgrads ? dbeta_.data() : nullptr, buf);
    sum_->sum(buf, 2 * c_);
    batchnorm_sync_dx(be, a, global_m_, b, buf, x.data(), dy.data(), dx.data());
  });
}

}  // namespace strata
