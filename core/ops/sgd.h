// sgd: one step of SGD with momentum, Nesterov and L2 weight decay over n flat values, in
// PyTorch's form (torch.optim.SGD with dampening 0), one fused pass:
//   g' = g + wd p;   v = mu v + g';   p -= lr (nesterov ? g' + mu v : v)
// CPU: sgd.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

struct SgdStepArgs {
  float lr = 0.0f, momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

// Updates params and velocity in place.
void sgd_step(CpuBackend& be, const SgdStepArgs& a, float* params, const float* grads,
              float* velocity, int64_t n);

#if STRATA_WITH_CUDA
void sgd_step(CudaBackend& be, const SgdStepArgs& a, float* params, const float* grads,
              float* velocity, int64_t n);
#endif

}  // namespace strata
