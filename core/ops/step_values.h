// step_values: the values of training steps accumulated where the steps run, so that a step reads
// nothing back (trainers/step_values.h, trainers/loop/step_log.h). The slots and the accumulator
// live in the backend's memory (the device on a GPU); the CUDA twin (step_values.cu) runs the very
// bodies of core/ops/kernels/step_values.h in one thread, so its values are the CPU's bits.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/ops/step_values_layout.h"

namespace strata {

// After a step at `step` that measured its values on `weight` samples: acc[i] += value_i * weight
// for every logged value (value_i: the mean of its slots in double; a double product, then a
// double sum, never fused), and, at the first step with a non-finite slot since the last clear,
// acc[values] = step, acc[values + 1] = that slot and acc[values + 2] its value.
// acc: step_accumulator_size(layout) doubles.
void accumulate_step_values(CpuBackend& be, const StepValueLayout& layout, const float* slots,
                            int64_t weight, int64_t step, double* acc);
// Every sum 0, no non-finite step recorded (-1).
void clear_step_sums(CpuBackend& be, const StepValueLayout& layout, double* acc);
// *out = *a + *b in float.
void add_values(CpuBackend& be, const float* a, const float* b, float* out);

#if STRATA_WITH_CUDA
void accumulate_step_values(CudaBackend& be, const StepValueLayout& layout, const float* slots,
                            int64_t weight, int64_t step, double* acc);
void clear_step_sums(CudaBackend& be, const StepValueLayout& layout, double* acc);
void add_values(CudaBackend& be, const float* a, const float* b, float* out);
#endif

}  // namespace strata
