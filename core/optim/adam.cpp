// Adam and AdamW (PyTorch's torch.optim.Adam / AdamW, amsgrad off), one fused pass per step:
//   t += 1
//   Adam:  g' = g + wd p                  AdamW: p *= 1 - lr wd, g' = g
//   m = b1 m + (1 - b1) g';   v = b2 v + (1 - b2) g'^2
//   p -= lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
// The bias corrections are computed here once per step in double; the update (core/ops/adam.h) is
// evaluated as p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), which is the same expression
// PyTorch uses. The class keeps the options, the step count and the moments.
#include "core/optim/optimizer.h"

#include <cmath>

#include "core/error.h"
#include "core/ops/adam.h"
#include "core/ops/fill.h"

namespace strata {

Adam::Adam(const AdamOptions& o) : o_(o), step_count_(Tensor::zeros(Shape{1})) {
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
  Backend& backend = backend_for(params.device());
  if (m_.empty() && v_.empty()) {
    // The only allocations, on the first step, on the parameters' device.
    m_ = Tensor(Shape{n}, params.device());
    v_ = Tensor(Shape{n}, params.device());
    dispatch(backend, [&](auto& be) {
      fill(be, m_.data(), n, 0.0f);
      fill(be, v_.data(), n, 0.0f);
    });
  } else {
    STRATA_CHECK(m_.numel() == n && v_.numel() == n,
                 kind() << ": this optimizer's state is for " << m_.numel()
                        << " parameters but the step got " << n
                        << "; use one optimizer per model (or a checkpoint of this model)");
  }
  steps_ = static_cast<int64_t>(step_count_[0]) + 1;  // the count may come from a checkpoint
  step_count_[0] = static_cast<float>(steps_);

  const double t = static_cast<double>(steps_);
  const double bc1 = 1.0 - std::pow(static_cast<double>(o_.beta1), t);
  const double bc2 = 1.0 - std::pow(static_cast<double>(o_.beta2), t);
  AdamStepArgs a;
  a.step_size = static_cast<float>(lr_ / bc1);
  a.inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  a.b1 = o_.beta1;
  a.b2 = o_.beta2;
  a.eps = o_.eps;
  a.l2 = o_.decoupled ? 0.0f : o_.weight_decay;
  a.shrink = o_.decoupled ? 1.0f - lr_ * o_.weight_decay : 1.0f;
  dispatch(backend, [&](auto& be) {
    adam_step(be, a, params.data(), grads.data(), m_.data(), v_.data(), n);
  });
}

std::vector<Tensor*> Adam::state() {
  return {&m_, &v_, &step_count_};
}

}  // namespace strata
