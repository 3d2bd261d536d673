// SGD with momentum, Nesterov and L2 weight decay, in PyTorch's form (torch.optim.SGD with
// dampening 0), as one fused op over the flat buffers (core/ops/sgd.h):
//   g' = g + wd p;   v = mu v + g';   p -= lr (nesterov ? g' + mu v : v)
// The class keeps the options, the step count and the velocity. The velocity starts at zero, so the
// first step sets v = g' exactly as PyTorch's `buf = clone(g)`. With mu = 0 the same formula gives
// p -= lr g' (v then just holds g').
#include "core/optim/optimizer.h"

#include <type_traits>

#include "core/error.h"
#include "core/ops/fill.h"
#include "core/ops/kernels/optim.h"
#include "core/ops/sgd.h"
#include "core/step_capture.h"

namespace strata {

SGD::SGD(const SGDOptions& o) : o_(o) {
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
  prepare_state(velocity_, params);
  const SgdHyper h{o_.momentum, o_.weight_decay, o_.nesterov};
  dispatch(backend_for(params.device()), [&](auto& be) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(be)>, CpuBackend>) {
      advance_step_count(step_count_[0]);  // the count may come from a checkpoint
      sgd_step(be, sgd_step_args(h, lr_), params.data(), grads.data(), velocity_.data(), n);
    } else {
      float* s = device_scalars(params.device(), 0);  // [lr, step count]
      if (!capturing()) fill(be, s, 1, lr_);          // a captured step reads publish_lr()'s value
      sgd_step(be, h, s, s + 1, params.data(), grads.data(), velocity_.data(), n);
    }
  });
}

std::vector<Tensor*> SGD::state() {
  return {&velocity_, &step_count_};
}

}  // namespace strata
