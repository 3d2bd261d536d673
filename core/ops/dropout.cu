#include "core/cuda/launch.cuh"
#include "core/ops/dropout.h"
#include "core/ops/kernels/random.h"

namespace strata {

// One thread per sample, drawing its stream in element order.
void dropout_forward(CudaBackend& be, const DropoutArgs& a, const float* x, float* y, float* mask) {
  STRATA_GRID_STRIDE(be, a.batch, dropout_forward_body(a, x, y, mask));
}

void dropout_backward(CudaBackend& be, const float* dy, const float* mask, float* dx, int64_t n) {
  STRATA_GRID_STRIDE(be, n, DropoutBackwardBody{dy, mask, dx});
}

}  // namespace strata
