// ConvTranspose2D on NCHW (the gradient of Conv2D with respect to its input): weight
// [Cin, Cout, kh, kw] (PyTorch's layout), bias [Cout]. Output size
// (in - 1) * stride - 2 * pad + kernel + output_padding. The compute:
// core/ops/conv_transpose2d.h.
#pragma once

#include "core/layer.h"
#include "core/ops/conv_transpose2d.h"  // defines: ConvArgs, ConvGeometry

namespace strata {

struct ConvTranspose2DOptions {
  int64_t filters = 0;  // output channels
  int64_t kernel_h = 3, kernel_w = 3;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t output_pad_h = 0, output_pad_w = 0;
  bool same = false;  // "same": output = input * stride (pad and output_padding derived)
  bool bias = true;
  InitSpec::Kind init = InitSpec::Kind::kGlorotUniform;
  float init_stddev = 0.02f;
};

class ConvTranspose2D final : public Layer {
 public:
  explicit ConvTranspose2D(const ConvTranspose2DOptions& o);
  const char* kind() const override { return "conv_transpose2d"; }
  bool backward_needs_output() const override { return false; }
  Shape build(const Shape& in) override;
  // The options, and the adjoint convolution's geometry they resolve to (after build()).
  const ConvTranspose2DOptions& options() const { return o_; }
  const ConvGeometry& geometry() const { return geom_; }
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::span<Tensor> params, std::span<Tensor> grads) override;
  void set_precision(Precision precision) override { precision_ = precision; }
  ScratchNeeds setup(const Shape& in, Backend& backend) override;
  void bind_scratch(Tensor workspace, Tensor saved) override;
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  ConvTranspose2DOptions o_;
  int64_t cin_ = 0, h_ = 0, w_in_ = 0, ho_ = 0, wo_ = 0;
  Tensor w_, b_, dw_, db_;

  // The Conv2D this layer is the adjoint of: its images are this layer's outputs (Cout x Ho x
  // Wo) and its columns this layer's input positions (H x W). pad_top/pad_left come from pad_h/
  // pad_w or from "same"; the bottom/right crop follows from Ho x Wo.
  ConvGeometry geom_;
  ConvArgs args_;  // for the batch of the last setup()
  Precision precision_ = Precision::kFp32;
  Tensor workspace_;  // the model's shared workspace (setup() says how much)
};

}  // namespace strata
