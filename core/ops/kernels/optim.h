// The optimizers' per-step scalars and their update kernels' bodies, compiled for the host and the
// GPU. The optimizers (core/optim/) build the CPU step's arguments with the same functions the
// CUDA step (core/ops/sgd.cu, adam.cu) runs on the device, where the learning rate and the step
// count are read from device memory. The update bodies are the CPU ops' expressions (sgd.cpp,
// adam.cpp): on the host they give their values bit for bit
// (tests/core/ops/kernels/optim_test.cpp); on a GPU nvcc fuses multiply-adds (within an ulp or
// two per step).
#pragma once

#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "core/ops/adam.h"
#include "core/ops/kernels/rounding.h"
#include "core/ops/sgd.h"

namespace strata {

// Advances a step count kept as a float (the optimizers' checkpointed state, exact to 2^24 steps)
// and returns the new count: the t of the step being taken.
STRATA_HD inline double advance_step_count(float& count) {
  const double t = static_cast<double>(count) + 1.0;
  count = static_cast<float>(t);
  return t;
}

STRATA_HD inline SgdStepArgs sgd_step_args(const SgdHyper& h, float lr) {
  return SgdStepArgs{lr, h.momentum, h.weight_decay, h.nesterov};
}

// The scalars of Adam's step t at learning rate lr: the bias corrections bc1 = 1 - b1^t and
// bc2 = 1 - b2^t in double, step_size = lr / bc1 and inv_sqrt_bc2 = 1 / sqrt(bc2) rounded to
// float once; AdamW's shrink 1 - lr wd in float. On a GPU pow is CUDA's (within 2 ulp in double,
// so the floats rarely differ from the host's, and then by one rounding).
STRATA_HD inline AdamStepArgs adam_step_args(const AdamHyper& h, float lr, double t) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.b1), t);
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.b2), t);
  AdamStepArgs a;
  a.step_size = static_cast<float>(lr / bc1);
  a.inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  a.b1 = h.b1;
  a.b2 = h.b2;
  a.eps = h.eps;
  a.l2 = h.decoupled ? 0.0f : h.weight_decay;
  const float lr_wd = mul_rn(lr, h.weight_decay);  // rounded before the subtraction, as here
  a.shrink = h.decoupled ? 1.0f - lr_wd : 1.0f;
  return a;
}

// The CUDA steps' single-thread prologues, run before the update (one call, index 0).
// SGD: the step count advances.
struct SgdCountBody {
  float* step;
  STRATA_HD void operator()(int64_t) const { advance_step_count(*step); }
};

// Adam: the step count advances and the step's scalars are computed once, for every thread of
// the update to read.
struct AdamScalarsBody {
  AdamHyper h;
  const float* lr;
  float* step;
  AdamStepArgs* args;
  STRATA_HD void operator()(int64_t) const {
    *args = adam_step_args(h, *lr, advance_step_count(*step));
  }
};

// The updates, one value per call.
struct SgdUpdateBody {
  SgdStepArgs a;
  float* p;
  const float* g;
  float* v;
  STRATA_HD void operator()(int64_t i) const {
    const float gi = g[i] + a.weight_decay * p[i];
    const float vi = a.momentum * v[i] + gi;
    v[i] = vi;
    p[i] -= a.lr * (a.nesterov ? gi + a.momentum * vi : vi);
  }
};

struct AdamUpdateBody {
  AdamStepArgs a;
  float* p;
  const float* g;
  float* m;
  float* v;
  STRATA_HD void operator()(int64_t i) const {
    const float gi = g[i] + a.l2 * p[i];
    const float mi = a.b1 * m[i] + (1.0f - a.b1) * gi;
    const float vi = a.b2 * v[i] + (1.0f - a.b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * a.shrink - a.step_size * mi / (std::sqrt(vi) * a.inv_sqrt_bc2 + a.eps);
  }
};

}  // namespace strata
