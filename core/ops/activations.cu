#include "core/cuda/launch.cuh"
#include "core/ops/activations.h"
#include "core/ops/kernels/activations.h"

namespace strata {

void activation_forward(CudaBackend& be, const ActivationFn& f, const float* x, float* y,
                        int64_t n) {
  STRATA_GRID_STRIDE(be, n, ActivationForwardBody{f, x, y});
}

void activation_backward(CudaBackend& be, const ActivationFn& f, const float* y, const float* dy,
                         float* dx, int64_t n) {
  STRATA_GRID_STRIDE(be, n, ActivationBackwardBody{f, y, dy, dx});
}

}  // namespace strata
