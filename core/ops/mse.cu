// mse on a GPU: the value by one block's deterministic sum, written to *loss on the device, then
// the gradient by a grid-stride kernel (bodies: core/ops/kernels/losses.h). The value is launched
// first, so it reads the prediction before any gradient is written.
#include "core/cuda/launch.cuh"
#include "core/ops/kernels/losses.h"
#include "core/ops/mse.h"

namespace strata {

void mse_forward_backward(CudaBackend& be, int64_t n, const float* pred, const float* target,
                          float* dpred, float* loss) {
  STRATA_SUM_TO_SCALAR(be, n, loss, MseTerm{pred, target}, MeanFinish{n});
  STRATA_GRID_STRIDE(be, n, MseGradBody{pred, target, dpred, mse_grad_scale(n)});
}

void mse_forward(CudaBackend& be, int64_t n, const float* pred, const float* target, float* loss) {
  STRATA_SUM_TO_SCALAR(be, n, loss, MseForwardTerm{pred, target}, MeanFinish{n});
}

}  // namespace strata
