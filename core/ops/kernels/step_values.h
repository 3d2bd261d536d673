// Kernel bodies of core/ops/step_values.h: the per-step accumulation of a training step's values
// and the float sum of two values, for the CPU op and its CUDA twin alike.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/host_device.h"
#include "core/ops/kernels/rounding.h"
#include "core/ops/step_values_layout.h"

namespace strata {

// Whether x is neither infinite nor NaN, from its exponent bits (no library call on either side).
STRATA_HD inline bool finite_value(float x) {
#if defined(__CUDA_ARCH__)
  const uint32_t bits = __float_as_uint(x);
#else
  uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
#endif
  return (bits & 0x7f800000u) != 0x7f800000u;
}

// A loop over the logged values unrolled on the GPU, so that the layout's arrays are read at fixed
// offsets of the kernel's parameters (indexed at run time, they would be copied to local memory).
#if defined(__CUDA_ARCH__)
#define STRATA_UNROLL_VALUES _Pragma("unroll")
#else
#define STRATA_UNROLL_VALUES
#endif

// A logged value of one step from its run of slots: the mean, in double, of `count` slots added
// in order from 0.0 and divided by their count (one slot gives its value exactly).
STRATA_HD inline double step_value(const float* first, int count) {
  double v = 0.0;
  for (int j = 0; j < count; ++j) v = add_rn(v, static_cast<double>(first[j]));
  return v / static_cast<double>(count);
}

// Logged value i of layout l.
STRATA_HD inline double step_value(const StepValueLayout& l, const float* slots, int i) {
  return step_value(slots + l.first[i], l.count[i]);
}

// One thread (launched with n = 1): acc[i] += value_i * weight for every logged value, a product
// rounded and then a sum rounded (never fused); the first step with a non-finite slot, the slot
// and its value are recorded once (acc[values], acc[values + 1], acc[values + 2]; the step stays
// -1 while every slot has been finite).
struct AccumulateStepValuesBody {
  StepValueLayout layout;
  const float* slots;
  double weight;
  double step;
  double* acc;
  STRATA_HD void operator()(int64_t) const {
    STRATA_UNROLL_VALUES
    for (int i = 0; i < kMaxStepValues; ++i)
      if (i < layout.values)
        acc[i] =
            add_rn(acc[i], mul_rn(step_value(slots + layout.first[i], layout.count[i]), weight));
    if (acc[layout.values] >= 0.0) return;
    for (int s = 0; s < layout.slots; ++s)
      if (!finite_value(slots[s])) {
        acc[layout.values] = step;
        acc[layout.values + 1] = static_cast<double>(s);
        acc[layout.values + 2] = static_cast<double>(slots[s]);
        return;
      }
  }
};

// acc[i] = 0 for every sum, and the non-finite record cleared (-1).
struct ClearStepSumsBody {
  int values;
  double* acc;
  STRATA_HD void operator()(int64_t i) const { acc[i] = i < values ? 0.0 : -1.0; }
};

// out = a + b, in float (one rounding: a loss and its penalty, D's losses on real and fake).
struct AddValuesBody {
  const float* a;
  const float* b;
  float* out;
  STRATA_HD void operator()(int64_t) const { *out = add_rn(*a, *b); }
};

}  // namespace strata
