// SGD with momentum, Nesterov and L2 weight decay, in PyTorch's form (torch.optim.SGD with
// dampening 0), as one fused op over the flat buffers (core/ops/sgd.h):
//   g' = g + wd p;   v = mu v + g';   p -= lr (nesterov ? g' + mu v : v)
// The class keeps the options, the step count and the velocity. The velocity starts at zero, so the
// first step sets v = g' exactly as PyTorch's `buf = clone(g)`. With mu = 0 the same formula gives
// p -= lr g' (v then just holds g').
#include "core/optim/optimizer.h"

#include "core/error.h"
#include "core/ops/fill.h"
#include "core/ops/sgd.h"

namespace strata {

SGD::SGD(const SGDOptions& o) : o_(o), step_count_(Tensor::zeros(Shape{1})) {
  STRATA_CHECK(o.lr >= 0.0f, "sgd: lr must be >= 0, got " << o.lr);
  STRATA_CHECK(o.momentum >= 0.0f, "sgd: momentum must be >= 0, got " << o.momentum);
  STRATA_CHECK(o.weight_decay >= 0.0f, "sgd: weight_decay must be >= 0, got " << o.weight_decay);
  STRATA_CHECK(!o.nesterov || o.momentum > 0.0f,
               "sgd: nesterov needs a momentum > 0; set momentum or turn nesterov off");
  lr_ = o.lr;
}

void SGD::step(Tensor& params, const Tensor& grads) {
  const int64_t n = params.numel();
  STRATA_CHECK(grads.numel() == n, "sgd: parameters " << params.shape().str() << " and gradients "
                                                      << grads.shape().str() << " differ in size");
  Backend& backend = backend_for(params.device());
  if (velocity_.empty()) {
    // The one allocation, on the first step, on the parameters' device.
    velocity_ = Tensor(Shape{n}, params.device());
    dispatch(backend, [&](auto& be) { fill(be, velocity_.data(), n, 0.0f); });
  } else {
    STRATA_CHECK(velocity_.numel() == n,
                 "sgd: this optimizer's state is for "
                     << velocity_.numel() << " parameters but the step got " << n
                     << "; use one optimizer per model (or a checkpoint of this model)");
  }
  steps_ = static_cast<int64_t>(step_count_[0]) + 1;  // the count may come from a checkpoint
  step_count_[0] = static_cast<float>(steps_);

  const SgdStepArgs a{lr_, o_.momentum, o_.weight_decay, o_.nesterov};
  dispatch(backend,
           [&](auto& be) { sgd_step(be, a, params.data(), grads.data(), velocity_.data(), n); });
}

std::vector<Tensor*> SGD::state() {
  return {&velocity_, &step_count_};
}

}  // namespace strata
