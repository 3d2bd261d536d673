#include "core/layers/activations.h"

#include "core/error.h"

namespace strata {

Activation::Activation(ActivationKind kind, float slope) : fn_{kind, slope} {
  STRATA_CHECK(slope >= 0.0f, "leaky_relu: slope must be >= 0, got " << slope);
}

const char* Activation::kind() const {
  switch (fn_.kind) {
    case ActivationKind::kReLU:
      return "relu";
    case ActivationKind::kLeakyReLU:
      return "leaky_relu";
    case ActivationKind::kSigmoid:
      return "sigmoid";
    case ActivationKind::kTanh:
      return "tanh";
  }
  return "?";
}

void Activation::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  dispatch(*ctx.backend,
           [&](auto& be) { activation_forward(be, fn_, x.data(), y.data(), x.numel()); });
}

void Activation::backward(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx,
                          const StepContext& ctx) {
  if (!dx) return;
  dispatch(*ctx.backend, [&](auto& be) {
    activation_backward(be, fn_, y.data(), dy.data(), dx->data(), y.numel());
  });
}

}  // namespace strata
