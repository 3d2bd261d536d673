// Bodies of the fill and elementwise kernels (core/ops/fill.cu, elementwise.cu), the CPU ops'
// expressions, compiled for the host and the GPU.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace strata {

struct FillBody {
  float* data;
  float value;
  STRATA_HD void operator()(int64_t i) const { data[i] = value; }
};

struct ScaleBody {
  float* x;
  float s;
  STRATA_HD void operator()(int64_t i) const { x[i] *= s; }
};

struct AxpyBody {
  float a;
  const float* x;
  float* y;
  STRATA_HD void operator()(int64_t i) const { y[i] += a * x[i]; }
};

}  // namespace strata
