// Elementwise activations. Each backward needs only y (the output), so no input is kept:
// ReLU dy*(y>0), LeakyReLU dy*(y>0 ? 1 : slope), Sigmoid dy*y*(1-y), Tanh dy*(1-y^2). Each value
// is computed from the value at the same place only, so they run in place: forward writing y over
// x and backward writing dx over dy (Layer::can_run_in_place, backward_dx_over_dy) give the same
// values.
#pragma once

#include "core/layer.h"
#include "core/ops/activations.h"  // defines: ActivationKind, ActivationFn

namespace strata {

class Activation final : public Layer {
 public:
  explicit Activation(ActivationKind kind, float slope = 0.01f);
  const char* kind() const override;
  Shape build(const Shape& in) override { return in; }
  const ActivationFn& function() const { return fn_; }
  bool is_relu() const override { return fn_.kind == ActivationKind::kReLU; }
  bool can_run_in_place() const override { return true; }
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  ActivationFn fn_;
};

}  // namespace strata
