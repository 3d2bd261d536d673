// adam: one step of Adam / AdamW over n flat values (PyTorch's torch.optim.Adam / AdamW, amsgrad
// off), one fused pass, from the per-step scalars the optimizer computes (core/optim/adam.cpp):
//   g' = g + l2 p
//   m = b1 m + (1 - b1) g';   v = b2 v + (1 - b2) g'^2
//   p = p shrink - step_size m / (sqrt(v) inv_sqrt_bc2 + eps)
// with step_size = lr / bc1 and inv_sqrt_bc2 = 1 / sqrt(bc2) (the bias corrections of the step);
// Adam: l2 = wd, shrink = 1; AdamW: l2 = 0, shrink = 1 - lr wd. CPU: adam.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

struct AdamStepArgs {
  float step_size = 0.0f, inv_sqrt_bc2 = 1.0f;
  float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  float l2 = 0.0f, shrink = 1.0f;
};

// Updates params and the moments m and v in place.
void adam_step(CpuBackend& be, const AdamStepArgs& a, float* params, const float* grads, float* m,
               float* v, int64_t n);

#if STRATA_WITH_CUDA
void adam_step(CudaBackend& be, const AdamStepArgs& a, float* params, const float* grads, float* m,
               float* v, int64_t n);
#endif

}  // namespace strata
