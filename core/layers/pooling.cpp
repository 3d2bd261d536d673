#include "core/layers/pooling.h"

#include <cstdint>

#include "core/error.h"
#include "core/ops/pooling.h"

namespace strata {

// ---------------------------------------------------------------------------------------------
// MaxPool2D

MaxPool2D::MaxPool2D(const MaxPool2DOptions& o) : o_(o) {
  STRATA_CHECK(o.kernel_h > 0 && o.kernel_w > 0,
               "maxpool2d: kernel must be positive, got " << o.kernel_h << "x" << o.kernel_w);
  STRATA_CHECK(o.stride_h > 0 && o.stride_w > 0,
               "maxpool2d: stride must be positive, got " << o.stride_h << "x" << o.stride_w);
  // As PyTorch: padding at most half the kernel, so that every window holds a real value.
  STRATA_CHECK(
      o.pad_h >= 0 && o.pad_w >= 0 && o.pad_h <= o.kernel_h / 2 && o.pad_w <= o.kernel_w / 2,
      "maxpool2d: padding must be between 0 and half the kernel, got pad "
          << o.pad_h << "x" << o.pad_w << " for kernel " << o.kernel_h << "x" << o.kernel_w);
}

Shape MaxPool2D::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 4, "maxpool2d expects input [N, C, H, W], got " << in.str());
  c_ = in[1];
  h_ = in[2];
  w_ = in[3];
  const int64_t hp = h_ + 2 * o_.pad_h, wp = w_ + 2 * o_.pad_w;
  STRATA_CHECK(hp >= o_.kernel_h && wp >= o_.kernel_w,
               "maxpool2d: kernel " << o_.kernel_h << "x" << o_.kernel_w
                                    << " is larger than the padded input " << hp << "x" << wp
                                    << " (input " << in.str() << ")");
  STRATA_CHECK(h_ * w_ <= INT32_MAX,
               "maxpool2d: input plane " << h_ << "x" << w_ << " is too large");
  ho_ = (hp - o_.kernel_h) / o_.stride_h + 1;
  wo_ = (wp - o_.kernel_w) / o_.stride_w + 1;
  return Shape{in[0], c_, ho_, wo_};
}

ScratchNeeds MaxPool2D::setup(const Shape& in, Backend&) {
  return {.workspace = 0, .saved = in[0] * c_ * ho_ * wo_};  // the argmax, int32 each
}

void MaxPool2D::bind_scratch(Tensor, Tensor saved) {
  argmax_ = saved;
}

PoolDims MaxPool2D::dims(int64_t batch) const {
  return PoolDims{.planes = batch * c_,
                  .h = h_,
                  .w = w_,
                  .out_h = ho_,
                  .out_w = wo_,
                  .kernel_h = o_.kernel_h,
                  .kernel_w = o_.kernel_w,
                  .stride_h = o_.stride_h,
                  .stride_w = o_.stride_w,
                  .pad_h = o_.pad_h,
                  .pad_w = o_.pad_w};
}

void MaxPool2D::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  STRATA_CHECK(argmax_.numel() >= x.dim(0) * c_ * ho_ * wo_,
               "maxpool2d: setup() was not called for input " << x.shape().str());
  const PoolDims d = dims(x.dim(0));
  int32_t* am = reinterpret_cast<int32_t*>(argmax_.data());
  dispatch(*ctx.backend, [&](auto& be) { maxpool2d_forward(be, d, x.data(), y.data(), am); });
}

void MaxPool2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                         const StepContext& ctx) {
  if (!dx) return;
  const PoolDims d = dims(x.dim(0));
  const int32_t* am = reinterpret_cast<const int32_t*>(argmax_.data());
  dispatch(*ctx.backend, [&](auto& be) { maxpool2d_backward(be, d, dy.data(), am, dx->data()); });
}

// ---------------------------------------------------------------------------------------------
// Upsample2D

Upsample2D::Upsample2D(const Upsample2DOptions& o) : o_(o) {
  STRATA_CHECK(o.scale_h >= 1 && o.scale_w >= 1,
               "upsample2d: scales must be integers >= 1, got " << o.scale_h << "x" << o.scale_w);
}

Shape Upsample2D::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 4, "upsample2d expects input [N, C, H, W], got " << in.str());
  c_ = in[1];
  h_ = in[2];
  w_ = in[3];
  return Shape{in[0], c_, h_ * o_.scale_h, w_ * o_.scale_w};
}

void Upsample2D::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  const UpsampleDims d{x.dim(0) * c_, h_, w_, o_.scale_h, o_.scale_w};
  dispatch(*ctx.backend, [&](auto& be) { upsample2d_forward(be, d, x.data(), y.data()); });
}

void Upsample2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                          const StepContext& ctx) {
  if (!dx) return;
  const UpsampleDims d{x.dim(0) * c_, h_, w_, o_.scale_h, o_.scale_w};
  dispatch(*ctx.backend, [&](auto& be) { upsample2d_backward(be, d, dy.data(), dx->data()); });
}

}  // namespace strata
