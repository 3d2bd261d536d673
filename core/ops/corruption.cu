#include "core/cuda/launch.cuh"
#include "core/ops/corruption.h"
#include "core/ops/kernels/random.h"

namespace strata {

// One thread per sample, drawing its stream in element order; the noise in two launches, the even
// then the odd values of each sample (kernels/random.h says why).
void corrupt_mask(CudaBackend& be, const CorruptionArgs& a, float p, const float* x, float* y) {
  STRATA_GRID_STRIDE(be, a.batch, CorruptMaskBody{a, p, x, y});
}

void corrupt_gaussian(CudaBackend& be, const CorruptionArgs& a, float stddev, const float* x,
                      float* y) {
  STRATA_GRID_STRIDE(be, a.batch, CorruptGaussianBody<NormalHalf::kEven>{a, stddev, x, y});
  STRATA_GRID_STRIDE(be, a.batch, CorruptGaussianBody<NormalHalf::kOdd>{a, stddev, x, y});
}

}  // namespace strata
