// Conv2D on NCHW: weight [Cout, Cin, kh, kw] (PyTorch's layout), bias [Cout]. Stride and
// padding per axis; padding "same" (output = ceil(input / stride), the extra pad going to the
// bottom/right as in TensorFlow), "valid" (none) or explicit. The compute: core/ops/conv2d.h.
#pragma once

#include "core/layer.h"
#include "core/ops/conv2d.h"  // defines: ConvArgs, ConvGeometry

namespace strata {

enum class PaddingMode { kExplicit, kSame, kValid };

struct Conv2DOptions {
  int64_t filters = 0;
  int64_t kernel_h = 3, kernel_w = 3;
  int64_t stride_h = 1, stride_w = 1;
  PaddingMode padding_mode = PaddingMode::kExplicit;
  int64_t pad_h = 0, pad_w = 0;  // explicit padding (top = bottom, left = right)
  bool bias = true;
  InitSpec::Kind init = InitSpec::Kind::kGlorotUniform;
  float init_stddev = 0.02f;
};

class Conv2D final : public Layer {
 public:
  explicit Conv2D(const Conv2DOptions& o);
  const char* kind() const override { return "conv2d"; }
  bool backward_needs_output() const override { return false; }
  Shape build(const Shape& in) override;
  // The options, and the top/left padding they resolve to (known after build()).
  const Conv2DOptions& options() const { return o_; }
  int64_t pad_top() const { return pad_top_; }
  int64_t pad_left() const { return pad_left_; }
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::span<Tensor> params, std::span<Tensor> grads) override;
  void set_precision(Precision precision) override { precision_ = precision; }
  ScratchNeeds setup(const Shape& in, Backend& backend) override;
  void bind_scratch(Tensor workspace, Tensor saved) override;
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  Conv2DOptions o_;
  int64_t cin_ = 0, h_ = 0, w_in_ = 0, ho_ = 0, wo_ = 0;
  int64_t pad_top_ = 0, pad_left_ = 0;  // resolved from the padding mode
  Tensor w_, b_, dw_, db_;
  ConvGeometry geom_;  // x's side: Cin x H x W images, Ho x Wo columns
  ConvArgs args_;      // for the batch of the last setup()
  Precision precision_ = Precision::kFp32;
  Tensor workspace_;  // the model's shared workspace (setup() says how much)
};

}  // namespace strata
