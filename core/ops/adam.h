// adam: one step of Adam / AdamW over n flat values (PyTorch's torch.optim.Adam / AdamW, amsgrad
// off), one fused pass, from the per-step scalars of the step (adam_step_args,
// core/ops/kernels/optim.h):
//   g' = g + l2 p
//   m = b1 m + (1 - b1) g';   v = b2 v + (1 - b2) g'^2
//   p = p shrink - step_size m / (sqrt(v) inv_sqrt_bc2 + eps)
// with step_size = lr / bc1 and inv_sqrt_bc2 = 1 / sqrt(bc2) (the bias corrections of the step);
// Adam: l2 = wd, shrink = 1; AdamW: l2 = 0, shrink = 1 - lr wd. CPU: adam.cpp; CUDA: adam.cu.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

// The options that stay fixed from step to step (AdamW: decoupled).
struct AdamHyper {
  float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  bool decoupled = false;
};

// The scalars of one step, from (lr, t) (adam_step_args).
struct AdamStepArgs {
  float step_size = 0.0f, inv_sqrt_bc2 = 1.0f;
  float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  float l2 = 0.0f, shrink = 1.0f;
};

// Updates params and the moments m and v in place.
void adam_step(CpuBackend& be, const AdamStepArgs& a, float* params, const float* grads, float* m,
               float* v, int64_t n);

#if STRATA_WITH_CUDA
// The device memory a CUDA step needs for its scalars (an AdamStepArgs), in floats.
inline int64_t adam_step_workspace(CudaBackend&) {
  return static_cast<int64_t>(sizeof(AdamStepArgs) / sizeof(float));
}

// One step that reads its learning rate and step count from device memory, so that the step can
// be captured in a CUDA graph and replayed with new values: *lr is written by the caller before
// the step; on the device, *step (steps taken, a float) becomes t = *step + 1, the step's scalars
// adam_step_args(h, *lr, t) are computed once into workspace (adam_step_workspace floats, 4-byte
// aligned), then every value is updated from them. lr and step are single floats in device memory.
void adam_step(CudaBackend& be, const AdamHyper& h, const float* lr, float* step, float* workspace,
               float* params, const float* grads, float* m, float* v, int64_t n);
#endif

}  // namespace strata
