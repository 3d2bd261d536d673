#include "core/cuda/check.h"
#include "core/cuda/handles.h"
#include "core/ops/step_counter.h"

namespace strata {

namespace {

__global__ void set_step_counter_kernel(StepCounter* counter, uint64_t step, int64_t first_sample) {
  counter->step = step;
  counter->first_sample = first_sample;
}

}  // namespace

void set_step_counter(CudaBackend& be, StepCounter* counter, uint64_t step, int64_t first_sample) {
  set_step_counter_kernel<<<1, 1, 0, cuda::stream_of(be)>>>(counter, step, first_sample);
  STRATA_LAUNCH_CHECK("set_step_counter_kernel");
}

}  // namespace strata
