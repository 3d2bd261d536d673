#include "core/ops/step_counter.h"

namespace strata {

void set_step_counter(CpuBackend& be, StepCounter* counter, uint64_t step, int64_t first_sample) {
  (void)be;
  counter->step = step;
  counter->first_sample = first_sample;
}

}  // namespace strata
