// StepValueLayout: how a training step's values are laid out in its slots (core/ops/step_values.h,
// trainers/step_values.h). A step writes `slots` floats on its device; logged value i is the mean
// of slots [first[i], first[i] + count[i]) (one slot for most values; the k discriminator steps
// of a GAN step for d_loss, d_real and d_fake). Passed to kernels by value.
#pragma once

#include <cstdint>

namespace strata {

inline constexpr int kMaxStepValues = 8;  // logged values of one step

struct StepValueLayout {
  int32_t values = 0;  // logged values
  int32_t slots = 0;   // floats the step writes
  int32_t first[kMaxStepValues] = {};
  int32_t count[kMaxStepValues] = {};
};

// Doubles of a step accumulator: one sum per logged value, then the first step with a
// non-finite slot, that slot and its value (-1 while no slot has been non-finite).
inline int64_t step_accumulator_size(const StepValueLayout& l) {
  return static_cast<int64_t>(l.values) + 3;
}

}  // namespace strata
