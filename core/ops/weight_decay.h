// weight_decay: L2 weight decay over a list of parameters (P = (lambda / 2) sum w^2), in one call:
// g += lambda * w for each, and *value = P with the sum of squares accumulated in double over all
// of them in list order. `value` is one float in the backend's memory (a device scalar on a GPU).
// CPU: weight_decay.cpp. CUDA: weight_decay.cu - the gradients the CPU's bits; the value one
// block's deterministic sum over the parameters in list order (the same bits every run; within a
// float ulp of the CPU's for up to 16 parameters, a few ulp beyond), written on the device without
// a copy or a synchronisation.
#pragma once

#include <cstdint>
#include <span>

#include "core/backend.h"

namespace strata {

// One parameter: n weights and their gradient.
struct DecayedParam {
  const float* w = nullptr;
  float* g = nullptr;
  int64_t n = 0;
};

void l2_weight_decay(CpuBackend& be, float lambda, std::span<const DecayedParam> params,
                     float* value);

#if STRATA_WITH_CUDA
void l2_weight_decay(CudaBackend& be, float lambda, std::span<const DecayedParam> params,
                     float* value);
#endif

}  // namespace strata
