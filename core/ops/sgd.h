// sgd: one step of SGD with momentum, Nesterov and L2 weight decay over n flat values, in
// PyTorch's form (torch.optim.SGD with dampening 0), one fused pass:
//   g' = g + wd p;   v = mu v + g';   p -= lr (nesterov ? g' + mu v : v)
// CPU: sgd.cpp; CUDA: sgd.cu (bodies in kernels/optim.h).
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

// The options that stay fixed from step to step.
struct SgdHyper {
  float momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

struct SgdStepArgs {
  float lr = 0.0f, momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

// Updates params and velocity in place.
void sgd_step(CpuBackend& be, const SgdStepArgs& a, float* params, const float* grads,
              float* velocity, int64_t n);

#if STRATA_WITH_CUDA
// One step that reads its learning rate from device memory and advances its step count there, so
// that the step can be captured in a CUDA graph and replayed with new values: *lr is written by
// the caller before the step; *step (steps taken, a float) becomes *step + 1. Both are single
// floats in device memory.
void sgd_step(CudaBackend& be, const SgdHyper& h, const float* lr, float* step, float* params,
              const float* grads, float* velocity, int64_t n);
#endif

}  // namespace strata
