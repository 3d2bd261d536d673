// SGD with momentum, Nesterov and L2 weight decay, in PyTorch's form (torch.optim.SGD with
// dampening 0), as one fused pass over the flat buffers:
//   g' = g + wd p;   v = mu v + g';   p -= lr (nesterov ? g' + mu v : v)
// The velocity starts at zero, so the first step sets v = g' exactly as PyTorch's
// `buf = clone(g)`. With mu = 0 the same formula gives p -= lr g' (v then just holds g').
#include <cmath>

#include "core/error.h"
#include "core/optim/optimizer.h"

namespace strata {

namespace {
constexpr int64_t kParallelMin = 16384;  // below this, a parallel loop costs more than it saves
}

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
  if (velocity_.empty()) {
    velocity_ = Tensor::zeros(Shape{n});  // the one allocation, on the first step
  } else {
    STRATA_CHECK(velocity_.numel() == n,
                 "sgd: this optimizer's state is for "
                     << velocity_.numel() << " parameters but the step got " << n
                     << "; use one optimizer per model (or a checkpoint of this model)");
  }
  steps_ = static_cast<int64_t>(step_count_[0]) + 1;  // the count may come from a checkpoint
  step_count_[0] = static_cast<float>(steps_);

  float* p = params.data();
  const float* g = grads.data();
  float* v = velocity_.data();
  const float lr = lr_, mu = o_.momentum, wd = o_.weight_decay;
  const bool nesterov = o_.nesterov;
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * p[i];
    const float vi = mu * v[i] + gi;
    v[i] = vi;
    p[i] -= lr * (nesterov ? gi + mu * vi : vi);
  }
}

std::vector<Tensor*> SGD::state() {
  return {&velocity_, &step_count_};
}

}  // namespace strata
