#include "core/cuda/launch.cuh"
#include "core/ops/elementwise.h"
#include "core/ops/kernels/elementwise.h"

namespace strata {

void scale(CudaBackend& be, float* x, int64_t n, float s) {
  STRATA_GRID_STRIDE(be, n, ScaleBody{x, s});
}

void axpy(CudaBackend& be, float a, const float* x, float* y, int64_t n) {
  STRATA_GRID_STRIDE(be, n, AxpyBody{a, x, y});
}

}  // namespace strata
