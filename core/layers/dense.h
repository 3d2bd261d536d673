// Dense (fully connected): y[N, out] = x[N, in] * W^T + b, W stored [out, in] as in PyTorch.
#pragma once

#include "core/layer.h"

namespace strata {

struct DenseOptions {
  int64_t units = 0;
  bool bias = true;
  InitSpec::Kind init = InitSpec::Kind::kGlorotUniform;
  float init_stddev = 0.02f;  // for init: normal
};

class Dense final : public Layer {
 public:
  explicit Dense(const DenseOptions& o);
  const char* kind() const override { return "dense"; }
  bool backward_needs_output() const override { return false; }
  Shape build(const Shape& in) override;
  const DenseOptions& options() const { return o_; }
  // On a GPU, a following ReLU runs in the GEMM's epilogue (Layer::can_fuse_relu); also on the
  // emulated device, whose fused op is the CPU's dense then ReLU, so that the tests there run the
  // model's fused path and must still give the CPU's values.
  bool can_fuse_relu(const Backend& backend) const override { return !backend.device().is_cpu(); }
  void set_relu_fused(bool fused) override { relu_fused_ = fused; }
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::span<Tensor> params, std::span<Tensor> grads) override;
  void set_precision(Precision precision) override { precision_ = precision; }
  ScratchNeeds setup(const Shape& in, Backend& backend) override;
  void bind_scratch(Tensor workspace, Tensor saved) override;
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  DenseOptions o_;
  int64_t in_ = 0;
  Tensor w_, b_, dw_, db_;
  bool relu_fused_ = false;
  Precision precision_ = Precision::kFp32;
  Tensor workspace_;  // the model's shared workspace (none at fp32)
};

}  // namespace strata
