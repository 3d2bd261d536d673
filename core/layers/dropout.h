// Inverted dropout: in train mode each value is kept with probability 1 - rate and scaled by
// 1 / (1 - rate); eval mode is the identity. The mask of sample s is drawn from
// RandomStream(seed, kDropout, layer index, step, global sample index of s), so it does not depend
// on the rank or on how the batch is split; backward redraws nothing (the mask is kept).
#pragma once

#include "core/layer.h"

namespace strata {

class Dropout final : public Layer {
 public:
  explicit Dropout(float rate);
  const char* kind() const override { return "dropout"; }
  bool backward_needs_output() const override { return false; }
  bool backward_dx_over_dy() const override { return true; }
  Shape build(const Shape& in) override { return in; }
  ScratchNeeds setup(const Shape& in, Backend& backend) override;
  void bind_scratch(Tensor workspace, Tensor saved) override;
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  float rate_;
  Tensor mask_;  // saved scratch: 0 or 1 / (1 - rate), per value of the last train-mode forward
  bool last_training_ = false;
};

}  // namespace strata
