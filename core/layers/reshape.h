// Flatten ([N, ...] -> [N, prod(...)]) and Reshape ([N, ...] -> [N, target...], one target
// dimension may be -1). Both copy (the model's activations are separate buffers).
#pragma once

#include <vector>

#include "core/layer.h"

namespace strata {

class Reshape final : public Layer {
 public:
  // An empty target means Flatten.
  explicit Reshape(std::vector<int64_t> target = {});
  const char* kind() const override { return target_.empty() ? "flatten" : "reshape"; }
  Shape build(const Shape& in) override;
  bool is_view() const override { return true; }
  bool backward_needs_output() const override { return false; }
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  std::vector<int64_t> target_;
};

}  // namespace strata
