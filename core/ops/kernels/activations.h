// The activation kernels' bodies, one value per call, compiled for the host and the GPU
// (core/ops/activations.cu launches them; tests/core/ops/kernels/activations_test.cpp runs them
// on the CPU against activations.cpp). Each expression is the CPU op's, so on the host they give
// its values bit for bit; on a GPU exp and tanh are CUDA's (within 2 ulp).
#pragma once

#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "core/ops/activations.h"

namespace strata {

STRATA_HD inline float activation_value(const ActivationFn& f, float a) {
  switch (f.kind) {
    case ActivationKind::kReLU:
      return a > 0.0f ? a : 0.0f;
    case ActivationKind::kLeakyReLU:
      return a > 0.0f ? a : f.slope * a;
    case ActivationKind::kSigmoid:
      return 1.0f / (1.0f + std::exp(-a));
    case ActivationKind::kTanh:
      return std::tanh(a);
  }
  return a;
}

// dL/dx from the output o and dL/dy g.
STRATA_HD inline float activation_grad(const ActivationFn& f, float o, float g) {
  switch (f.kind) {
    case ActivationKind::kReLU:
      return o > 0.0f ? g : 0.0f;
    case ActivationKind::kLeakyReLU:
      return o > 0.0f ? g : f.slope * g;
    case ActivationKind::kSigmoid:
      return g * o * (1.0f - o);
    case ActivationKind::kTanh:
      return g * (1.0f - o * o);
  }
  return g;
}

struct ActivationForwardBody {
  ActivationFn f;
  const float* x;
  float* y;
  STRATA_HD void operator()(int64_t i) const { y[i] = activation_value(f, x[i]); }
};

struct ActivationBackwardBody {
  ActivationFn f;
  const float* y;
  const float* dy;
  float* dx;
  STRATA_HD void operator()(int64_t i) const { dx[i] = activation_grad(f, y[i], dy[i]); }
};

}  // namespace strata
