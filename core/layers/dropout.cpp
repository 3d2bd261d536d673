#include "core/layers/dropout.h"

#include "core/error.h"
#include "core/ops/dropout.h"

namespace strata {

Dropout::Dropout(float rate) : rate_(rate) {
  STRATA_CHECK(rate >= 0.0f && rate < 1.0f,
               "dropout: rate must be in [0, 1) (the fraction of values dropped), got " << rate);
}

ScratchNeeds Dropout::setup(const Shape& in, Backend&) {
  return {.workspace = 0, .saved = in.numel()};  // the mask
}

void Dropout::bind_scratch(Tensor, Tensor saved) {
  mask_ = saved;
}

void Dropout::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  last_training_ = ctx.training;
  if (!ctx.training) {
    if (y.data() != x.data()) copy(y, x, ctx.backend->stream(), /*async=*/true);
    return;
  }
  STRATA_CHECK(mask_.numel() >= x.numel(),
               "dropout: setup() was not called for input " << x.shape().str());
  DropoutArgs a;
  a.rate = rate_;
  a.seed = ctx.seed;
  a.step = ctx.step;
  a.layer = index();
  a.first_sample = ctx.sample_offset;
  a.counter = ctx.counter;
  a.batch = x.dim(0);
  a.per_sample = x.shape().sample_numel();
  dispatch(*ctx.backend,
           [&](auto& be) { dropout_forward(be, a, x.data(), y.data(), mask_.data()); });
}

void Dropout::backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx,
                       const StepContext& ctx) {
  if (!dx) return;
  if (!last_training_) {  // the forward was the identity
    if (dx->data() != dy.data()) copy(*dx, dy, ctx.backend->stream(), /*async=*/true);
    return;
  }
  dispatch(*ctx.backend, [&](auto& be) {
    dropout_backward(be, dy.data(), mask_.data(), dx->data(), dy.numel());
  });
}

}  // namespace strata
