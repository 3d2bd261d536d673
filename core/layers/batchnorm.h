// BatchNorm over [N, C] (1-D: statistics per feature over the batch) or [N, C, H, W] (2-D:
// per channel over N, H and W), chosen from the input rank at build(). Train mode normalises
// with the batch statistics (biased variance) and updates the running statistics with
// momentum (running = (1 - momentum) * running + momentum * batch, unbiased variance, as
// PyTorch); eval mode uses the running statistics. gamma ("weight") and beta ("bias") are
// parameters; running_mean and running_var are state().
#pragma once

#include "core/layer.h"

namespace strata {

struct BatchNormOptions {
  float momentum = 0.1f;
  float eps = 1e-5f;
  bool affine = true;
};

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const BatchNormOptions& o);
  const char* kind() const override { return "batchnorm"; }
  Shape build(const Shape& in) override;
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::span<Tensor> params, std::span<Tensor> grads) override;
  std::vector<Tensor*> state() override { return {&running_mean_, &running_var_}; }
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  BatchNormOptions o_;
  int64_t c_ = 0, spatial_ = 1;
  Tensor gamma_, beta_, dgamma_, dbeta_;
  Tensor running_mean_, running_var_;
  Tensor mean_, invstd_;  // of the last train-mode forward, for backward
};

}  // namespace strata
