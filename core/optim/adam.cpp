// Adam and AdamW (PyTorch's torch.optim.Adam / AdamW, amsgrad off), one fused pass per step:
//   t += 1
//   Adam:  g' = g + wd p                  AdamW: p *= 1 - lr wd, g' = g
//   m = b1 m + (1 - b1) g';   v = b2 v + (1 - b2) g'^2
//   p -= lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
// The bias corrections are computed once per step in double (adam_step_args, on the device for a
// GPU step); the update (core/ops/adam.h) is evaluated as
// p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), which is the same expression PyTorch uses. The
// class keeps the options, the step count and the moments.
#include "core/optim/optimizer.h"

#include <type_traits>

#include "core/error.h"
#include "core/ops/adam.h"
#include "core/ops/fill.h"
#include "core/ops/kernels/optim.h"
#include "core/step_capture.h"

namespace strata {

Adam::Adam(const AdamOptions& o) : o_(o) {
  const char* name = o.decoupled ? "adamw" : "adam";
  STRATA_CHECK(o.lr >= 0.0f, name << ": lr must be >= 0, got " << o.lr);
  STRATA_CHECK(o.beta1 >= 0.0f && o.beta1 < 1.0f,
               name << ": beta1 must lie in [0, 1), got " << o.beta1);
  STRATA_CHECK(o.beta2 >= 0.0f && o.beta2 < 1.0f,
               name << ": beta2 must lie in [0, 1), got " << o.beta2);
  STRATA_CHECK(o.eps >= 0.0f, name << ": eps must be >= 0, got " << o.eps);
  STRATA_CHECK(o.weight_decay >= 0.0f,
               name << ": weight_decay must be >= 0, got " << o.weight_decay);
  lr_ = o.lr;
}

void Adam::step(Tensor& params, const Tensor& grads) {
  const int64_t n = params.numel();
  STRATA_CHECK(grads.numel() == n, kind() << ": parameters " << params.shape().str()
                                          << " and gradients " << grads.shape().str()
                                          << " differ in size");
  prepare_state(m_, params);
  prepare_state(v_, params);
  const AdamHyper h{o_.beta1, o_.beta2, o_.eps, o_.weight_decay, o_.decoupled};
  dispatch(backend_for(params.device()), [&](auto& be) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(be)>, CpuBackend>) {
      const double t = advance_step_count(step_count_[0]);  // the count may come from a checkpoint
      adam_step(be, adam_step_args(h, lr_, t), params.data(), grads.data(), m_.data(), v_.data(),
                n);
    } else {
      float* s = device_scalars(params.device(), adam_step_workspace(be));  // [lr, step count, ws]
      if (!capturing()) fill(be, s, 1, lr_);  // a captured step reads publish_lr()'s value
      adam_step(be, h, s, s + 1, s + 2, params.data(), grads.data(), m_.data(), v_.data(), n);
    }
  });
}

std::vector<Tensor*> Adam::state() {
  return {&m_, &v_, &step_count_};
}

}  // namespace strata
