// bce_logits on a GPU: the value by one block's deterministic sum, written to *loss on the
// device, then the gradient by a grid-stride kernel (bodies: core/ops/kernels/losses.h). The value
// is launched first, so it reads the logits before any gradient is written.
#include "core/cuda/launch.cuh"
#include "core/ops/bce_logits.h"
#include "core/ops/kernels/losses.h"

namespace strata {

void bce_logits_forward_backward(CudaBackend& be, int64_t n, const float* z, const float* t,
                                 float* dz, float* loss) {
  STRATA_SUM_TO_SCALAR(be, n, loss, BceLogitsTerm{z, t}, MeanFinish{n});
  STRATA_GRID_STRIDE(be, n, BceLogitsGradBody{z, t, dz, inverse_count(n)});
}

void bce_logits_forward(CudaBackend& be, int64_t n, const float* z, const float* t, float* loss) {
  STRATA_SUM_TO_SCALAR(be, n, loss, BceLogitsTerm{z, t}, MeanFinish{n});
}

void sigmoid_mean(CudaBackend& be, int64_t n, const float* z, float* mean) {
  STRATA_SUM_TO_SCALAR(be, n, mean, SigmoidTerm{z}, MeanFinish{n});
}

}  // namespace strata
