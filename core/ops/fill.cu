#include "core/cuda/launch.cuh"
#include "core/ops/fill.h"
#include "core/ops/kernels/elementwise.h"

namespace strata {

void fill(CudaBackend& be, float* data, int64_t n, float value) {
  STRATA_GRID_STRIDE(be, n, FillBody{data, value});
}

}  // namespace strata
