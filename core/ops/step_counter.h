// StepCounter: the step and first-sample index that key a training step's random draws (dropout,
// input corruption, GAN latents), kept in the model's device memory so that a step captured as a
// CUDA graph draws new values each time it is replayed: the loop writes the counter before each
// replay (set_step_counter, outside the graph) and the captured kernels read it. The random ops'
// arguments carry a pointer to it; null (every eager step) means the arguments' own step and
// first sample. CPU: step_counter.cpp; CUDA: step_counter.cu.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/host_device.h"

namespace strata {

struct StepCounter {
  uint64_t step = 0;
  int64_t first_sample = 0;  // global index of this rank's first sample of the step
};

// The step and first sample a random op draws with: the counter's when there is one.
STRATA_HD inline uint64_t counter_step(const StepCounter* c, uint64_t step) {
  return c != nullptr ? c->step : step;
}
STRATA_HD inline int64_t counter_first_sample(const StepCounter* c, int64_t first_sample) {
  return c != nullptr ? c->first_sample : first_sample;
}

// *counter = {step, first_sample}, queued on be's stream (a one-thread kernel on a GPU, so the
// value is taken when the call is made and the write is ordered with the step's work).
void set_step_counter(CpuBackend& be, StepCounter* counter, uint64_t step, int64_t first_sample);

#if STRATA_WITH_CUDA
void set_step_counter(CudaBackend& be, StepCounter* counter, uint64_t step, int64_t first_sample);
#endif

}  // namespace strata
