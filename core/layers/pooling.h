// MaxPool2D (NCHW; kernel, stride, padding; the argmax of each window is kept for backward) and
// Upsample2D (nearest neighbour, integer scale per axis).
#pragma once

#include <vector>

#include "core/layer.h"
#include "core/ops/pooling.h"  // defines: PoolDims

namespace strata {

struct MaxPool2DOptions {
  int64_t kernel_h = 2, kernel_w = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_h = 0, pad_w = 0;
};

class MaxPool2D final : public Layer {
 public:
  explicit MaxPool2D(const MaxPool2DOptions& o);
  const char* kind() const override { return "maxpool2d"; }
  bool backward_needs_output() const override { return false; }
  Shape build(const Shape& in) override;
  const MaxPool2DOptions& options() const { return o_; }
  ScratchNeeds setup(const Shape& in, Backend& backend) override;
  void bind_scratch(Tensor workspace, Tensor saved) override;
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  MaxPool2DOptions o_;
  PoolDims dims(int64_t batch) const;

  int64_t c_ = 0, h_ = 0, w_ = 0, ho_ = 0, wo_ = 0;
  // Saved scratch: per output element, the int32 index of its maximum within its input plane.
  Tensor argmax_;
};

struct Upsample2DOptions {
  int64_t scale_h = 2, scale_w = 2;
};

class Upsample2D final : public Layer {
 public:
  explicit Upsample2D(const Upsample2DOptions& o);
  const char* kind() const override { return "upsample2d"; }
  bool backward_needs_output() const override { return false; }
  Shape build(const Shape& in) override;
  const Upsample2DOptions& options() const { return o_; }
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  Upsample2DOptions o_;
  int64_t c_ = 0, h_ = 0, w_ = 0;
};

}  // namespace strata
