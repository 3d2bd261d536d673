// L2 weight decay as a penalty (core/ops/weight_decay.h): P = (lambda / 2) sum w^2 over every
// parameter marked decay (weights; not biases or BatchNorm's gamma and beta), dP/dw = lambda w
// added to its gradient.
#include "core/losses/penalties.h"

#include <vector>

#include "core/error.h"
#include "core/ops/weight_decay.h"

namespace strata {

float apply_l2_weight_decay(Sequential& model, float lambda) {
  STRATA_CHECK(lambda >= 0.0f, "weight decay lambda must be >= 0, got " << lambda);
  if (lambda == 0.0f) return 0.0f;
  std::vector<DecayedParam> params;
  for (NamedParam& p : model.named_params())
    if (p.decay) params.push_back({p.value.data(), p.grad.data(), p.value.numel()});
  // One scalar per thread, kept: a step allocates no device memory.
  static thread_local DeviceScalar value;
  float* out = value.on(model.device());
  dispatch(model.backend(), [&](auto& be) { l2_weight_decay(be, lambda, params, out); });
  return value.get();
}

}  // namespace strata
