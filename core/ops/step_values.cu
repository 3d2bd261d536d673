// step_values on a GPU: the bodies of core/ops/kernels/step_values.h on be's stream; the
// accumulation and the sum in one thread each (a handful of values: the CPU's order and bits).
#include "core/cuda/launch.cuh"
#include "core/ops/kernels/step_values.h"
#include "core/ops/step_values.h"

namespace strata {

void accumulate_step_values(CudaBackend& be, const StepValueLayout& layout, const float* slots,
                            int64_t weight, int64_t step, double* acc) {
  STRATA_GRID_STRIDE(be, 1,
                     AccumulateStepValuesBody{layout, slots, static_cast<double>(weight),
                                              static_cast<double>(step), acc});
}

void clear_step_sums(CudaBackend& be, const StepValueLayout& layout, double* acc) {
  STRATA_GRID_STRIDE(be, step_accumulator_size(layout), ClearStepSumsBody{layout.values, acc});
}

void add_values(CudaBackend& be, const float* a, const float* b, float* out) {
  STRATA_GRID_STRIDE(be, 1, AddValuesBody{a, b, out});
}

}  // namespace strata
