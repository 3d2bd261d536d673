// dropout: inverted dropout in train mode. Value i of sample s is kept with probability 1 - rate
// and scaled by 1 / (1 - rate), from RandomStream(seed, kDropout, layer, step, first + s)'s
// uniforms in element order; the mask (0 or the scale) is written for the backward. CPU:
// dropout.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/ops/step_counter.h"

namespace strata {

struct DropoutArgs {
  float rate = 0.0f;
  uint64_t seed = 0, step = 0;
  uint32_t layer = 0;
  int64_t first_sample = 0;  // global index of sample 0
  int64_t batch = 0, per_sample = 0;
  // When set, the step and first sample come from here (device memory; core/ops/step_counter.h).
  const StepCounter* counter = nullptr;
};

void dropout_forward(CpuBackend& be, const DropoutArgs& a, const float* x, float* y, float* mask);
// dx = dy * mask over n values.
void dropout_backward(CpuBackend& be, const float* dy, const float* mask, float* dx, int64_t n);

#if STRATA_WITH_CUDA
void dropout_forward(CudaBackend& be, const DropoutArgs& a, const float* x, float* y, float* mask);
void dropout_backward(CudaBackend& be, const float* dy, const float* mask, float* dx, int64_t n);
#endif

}  // namespace strata
