// softmax_cross_entropy on a GPU: one block sums the rows' losses (block_sum's order), each
// thread taking its rows whole - max, log-sum-exp, loss, then the gradient row - serially (K is
// a handful of classes); thread 0 writes the mean to *loss on the device. Body:
// SoftmaxCrossEntropyTerm, core/ops/kernels/losses.h.
#include "core/ops/kernels/losses.h"
#include "core/ops/softmax_cross_entropy.h"

namespace strata {

void softmax_cross_entropy_forward_backward(CudaBackend& be, int64_t n, int64_t k, const float* z,
                                            const float* y, float* dz, float* loss) {
  STRATA_SUM_TO_SCALAR(be, n, loss, SoftmaxCrossEntropyTerm{z, y, dz, k, inverse_count(n)},
                       MeanFinish{n});
}

void softmax_cross_entropy_forward(CudaBackend& be, int64_t n, int64_t k, const float* z,
                                   const float* y, float* loss) {
  STRATA_SUM_TO_SCALAR(be, n, loss, SoftmaxCrossEntropyTerm{z, y, nullptr, k, inverse_count(n)},
                       MeanFinish{n});
}

}  // namespace strata
