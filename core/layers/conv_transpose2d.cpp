// ConvTranspose2D: shapes, padding and parameters; the compute is core/ops/conv_transpose2d.h's.
#include "core/layers/conv_transpose2d.h"

#include <algorithm>

#include "core/cpu_threads.h"
#include "core/error.h"

namespace strata {

namespace {

// Output size and top/left crop along one axis. Explicit: (in - 1) * stride - 2 * pad + kernel
// + output_pad. "same": in * stride, cropped as the adjoint of Conv2D's "same" on that output
// (TensorFlow's conv2d_transpose): max(kernel - stride, 0) / 2 at the top, the rest at the
// bottom; a kernel smaller than the stride leaves stride - kernel rows of bias at the bottom.
void resolve_axis(bool same, int64_t in, int64_t k, int64_t s, int64_t pad, int64_t out_pad,
                  int64_t& out, int64_t& top) {
  if (same) {
    out = in * s;
    top = std::max<int64_t>(k - s, 0) / 2;
  } else {
    out = (in - 1) * s - 2 * pad + k + out_pad;
    top = pad;
  }
}

}  // namespace

ConvTranspose2D::ConvTranspose2D(const ConvTranspose2DOptions& o) : o_(o) {
  STRATA_CHECK(o.filters > 0, "conv_transpose2d: filters must be positive, got " << o.filters);
  STRATA_CHECK(o.kernel_h > 0 && o.kernel_w > 0, "conv_transpose2d: kernel must be positive, got "
                                                     << o.kernel_h << "x" << o.kernel_w);
  STRATA_CHECK(o.stride_h > 0 && o.stride_w > 0, "conv_transpose2d: stride must be positive, got "
                                                     << o.stride_h << "x" << o.stride_w);
  STRATA_CHECK(o.pad_h >= 0 && o.pad_w >= 0,
               "conv_transpose2d: padding must be >= 0, got " << o.pad_h << "x" << o.pad_w);
  STRATA_CHECK(o.output_pad_h >= 0 && o.output_pad_w >= 0 && o.output_pad_h < o.stride_h &&
                   o.output_pad_w < o.stride_w,
               "conv_transpose2d: output_padding must be >= 0 and smaller than the stride, got "
                   << o.output_pad_h << "x" << o.output_pad_w << " with stride " << o.stride_h
                   << "x" << o.stride_w);
  const bool explicit_pad = o.pad_h || o.pad_w || o.output_pad_h || o.output_pad_w;
  STRATA_CHECK(!(o.same && explicit_pad),
               "conv_transpose2d: padding 'same' derives pad and output_padding; leave them 0 (got "
                   << "pad " << o.pad_h << "x" << o.pad_w << ", output_padding " << o.output_pad_h
                   << "x" << o.output_pad_w << ")");
}

Shape ConvTranspose2D::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 4, "conv_transpose2d expects input [N, C, H, W], got "
                                   << in.str()
                                   << (in.rank() == 2 ? "; put a 'reshape' layer before it" : ""));
  STRATA_CHECK(in[1] > 0 && in[2] > 0 && in[3] > 0,
               "conv_transpose2d expects a non-empty input [N, C, H, W], got " << in.str());
  cin_ = in[1];
  h_ = in[2];
  w_in_ = in[3];
  int64_t top = 0, left = 0;
  resolve_axis(o_.same, h_, o_.kernel_h, o_.stride_h, o_.pad_h, o_.output_pad_h, ho_, top);
  resolve_axis(o_.same, w_in_, o_.kernel_w, o_.stride_w, o_.pad_w, o_.output_pad_w, wo_, left);
  STRATA_CHECK(ho_ >= 1 && wo_ >= 1,
               "conv_transpose2d: input "
                   << in.str() << " with a " << o_.kernel_h << "x" << o_.kernel_w
                   << " kernel, stride " << o_.stride_h << "x" << o_.stride_w << " and padding "
                   << o_.pad_h << "x" << o_.pad_w << " gives an empty output (" << ho_ << "x" << wo_
                   << "); expected (H - 1) * stride + kernel > 2 * pad");
  geom_ = ConvGeometry{.channels = o_.filters,
                       .height = ho_,
                       .width = wo_,
                       .kernel_h = o_.kernel_h,
                       .kernel_w = o_.kernel_w,
                       .stride_h = o_.stride_h,
                       .stride_w = o_.stride_w,
                       .pad_top = top,
                       .pad_left = left,
                       .out_h = h_,
                       .out_w = w_in_};
  return Shape{in[0], o_.filters, ho_, wo_};
}

std::vector<ParamSpec> ConvTranspose2D::param_specs() const {
  const int64_t kk = o_.kernel_h * o_.kernel_w;
  InitSpec wi{o_.init, o_.init_stddev, cin_ * kk, o_.filters * kk};
  std::vector<ParamSpec> specs{
      {"weight", Shape{cin_, o_.filters, o_.kernel_h, o_.kernel_w}, wi, true}};
  if (o_.bias) specs.push_back({"bias", Shape{o_.filters}, InitSpec::zeros(), false});
  return specs;
}

void ConvTranspose2D::bind(std::span<Tensor> params, std::span<Tensor> grads) {
  w_ = params[0];
  dw_ = grads[0];
  if (o_.bias) {
    b_ = params[1];
    db_ = grads[1];
  }
}

ScratchNeeds ConvTranspose2D::setup(const Shape& in, Backend& backend) {
  args_ = ConvArgs{geom_, cin_, in[0], o_.bias, cpu_threads(), precision_};
  const int64_t ws =
      dispatch(backend, [&](auto& be) { return conv_transpose2d_workspace(be, args_); });
  return {.workspace = ws, .saved = 0};
}

void ConvTranspose2D::bind_scratch(Tensor workspace, Tensor) {
  workspace_ = workspace;
}

void ConvTranspose2D::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  STRATA_CHECK(args_.batch == x.dim(0),
               "conv_transpose2d: forward before setup() for " << x.shape().str());
  dispatch(*ctx.backend, [&](auto& be) {
    conv_transpose2d_forward(be, args_, x.data(), w_.data(), o_.bias ? b_.data() : nullptr,
                             y.data(), workspace_.data());
  });
}

void ConvTranspose2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                               const StepContext& ctx) {
  STRATA_CHECK(args_.batch == x.dim(0),
               "conv_transpose2d: backward before setup() for " << x.shape().str());
  const bool grads = ctx.param_grads;
  dispatch(*ctx.backend, [&](auto& be) {
    conv_transpose2d_backward(be, args_, x.data(), w_.data(), dy.data(),
                              grads ? dw_.data() : nullptr, grads && o_.bias ? db_.data() : nullptr,
                              dx ? dx->data() : nullptr, workspace_.data());
  });
}

}  // namespace strata
