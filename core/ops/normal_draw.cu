#include "core/cuda/launch.cuh"
#include "core/ops/kernels/random.h"
#include "core/ops/normal_draw.h"

namespace strata {

// One thread per sample, in two launches: the even then the odd values of each sample
// (kernels/random.h says why).
void normal_draw(CudaBackend& be, const NormalDrawArgs& a, float* out) {
  STRATA_GRID_STRIDE(be, a.batch, NormalDrawBody<NormalHalf::kEven>{a, out});
  STRATA_GRID_STRIDE(be, a.batch, NormalDrawBody<NormalHalf::kOdd>{a, out});
}

}  // namespace strata
