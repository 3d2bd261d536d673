// step_values on the CPU: the bodies of core/ops/kernels/step_values.h, called in place.
#include "core/ops/step_values.h"

#include "core/ops/kernels/step_values.h"

namespace strata {

void accumulate_step_values(CpuBackend&, const StepValueLayout& layout, const float* slots,
                            int64_t weight, int64_t step, double* acc) {
  AccumulateStepValuesBody{layout, slots, static_cast<double>(weight), static_cast<double>(step),
                           acc}(0);
}

void clear_step_sums(CpuBackend&, const StepValueLayout& layout, double* acc) {
  const ClearStepSumsBody body{layout.values, acc};
  for (int64_t i = 0; i < step_accumulator_size(layout); ++i) body(i);
}

void add_values(CpuBackend&, const float* a, const float* b, float* out) {
  AddValuesBody{a, b, out}(0);
}

}  // namespace strata
