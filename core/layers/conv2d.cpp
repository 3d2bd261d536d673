// Conv2D: shapes, padding and parameters; the compute is core/ops/conv2d.h's.
#include "core/layers/conv2d.h"

#include <algorithm>

#include "core/cpu_threads.h"
#include "core/error.h"

namespace strata {

namespace {

const char* mode_name(PaddingMode m) {
  switch (m) {
    case PaddingMode::kSame:
      return "same";
    case PaddingMode::kValid:
      return "valid";
    case PaddingMode::kExplicit:
      return "explicit";
  }
  return "?";
}

// Output size and top/left padding along one axis. "same" follows TensorFlow: output =
// ceil(in / stride), total padding max((out - 1) * stride + kernel - in, 0), the odd one at the
// bottom/right. Returns an output of 0 when the kernel does not fit.
void resolve_axis(PaddingMode mode, int64_t in, int64_t k, int64_t s, int64_t pad, int64_t& out,
                  int64_t& top) {
  switch (mode) {
    case PaddingMode::kSame:
      out = (in + s - 1) / s;
      top = std::max<int64_t>((out - 1) * s + k - in, 0) / 2;
      return;
    case PaddingMode::kValid:
      pad = 0;
      [[fallthrough]];
    case PaddingMode::kExplicit:
      top = pad;
      out = in + 2 * pad >= k ? (in + 2 * pad - k) / s + 1 : 0;
      return;
  }
}

}  // namespace

Conv2D::Conv2D(const Conv2DOptions& o) : o_(o) {
  STRATA_CHECK(o.filters > 0, "conv2d: filters must be positive, got " << o.filters);
  STRATA_CHECK(o.kernel_h > 0 && o.kernel_w > 0,
               "conv2d: kernel must be positive, got " << o.kernel_h << "x" << o.kernel_w);
  STRATA_CHECK(o.stride_h > 0 && o.stride_w > 0,
               "conv2d: stride must be positive, got " << o.stride_h << "x" << o.stride_w);
  STRATA_CHECK(o.pad_h >= 0 && o.pad_w >= 0,
               "conv2d: padding must be >= 0, got " << o.pad_h << "x" << o.pad_w);
}

Shape Conv2D::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 4, "conv2d expects input [N, C, H, W], got "
                                   << in.str()
                                   << (in.rank() == 2 ? "; put a 'reshape' layer before it" : ""));
  STRATA_CHECK(in[1] > 0 && in[2] > 0 && in[3] > 0,
               "conv2d expects a non-empty input [N, C, H, W], got " << in.str());
  cin_ = in[1];
  h_ = in[2];
  w_in_ = in[3];
  resolve_axis(o_.padding_mode, h_, o_.kernel_h, o_.stride_h, o_.pad_h, ho_, pad_top_);
  resolve_axis(o_.padding_mode, w_in_, o_.kernel_w, o_.stride_w, o_.pad_w, wo_, pad_left_);
  STRATA_CHECK(ho_ >= 1 && wo_ >= 1,
               "conv2d: a " << o_.kernel_h << "x" << o_.kernel_w << " kernel with padding "
                            << mode_name(o_.padding_mode) << " (" << pad_top_ << "x" << pad_left_
                            << ") does not fit input " << in.str() << " (output would be " << ho_
                            << "x" << wo_
                            << "); expected H + 2*pad_h >= kernel_h and W + 2*pad_w >= kernel_w");
  geom_ = ConvGeometry{.channels = cin_,
                       .height = h_,
                       .width = w_in_,
                       .kernel_h = o_.kernel_h,
                       .kernel_w = o_.kernel_w,
                       .stride_h = o_.stride_h,
                       .stride_w = o_.stride_w,
                       .pad_top = pad_top_,
                       .pad_left = pad_left_,
                       .out_h = ho_,
                       .out_w = wo_};
  return Shape{in[0], o_.filters, ho_, wo_};
}

std::vector<ParamSpec> Conv2D::param_specs() const {
  const int64_t kk = o_.kernel_h * o_.kernel_w;
  InitSpec wi{o_.init, o_.init_stddev, cin_ * kk, o_.filters * kk};
  std::vector<ParamSpec> specs{
      {"weight", Shape{o_.filters, cin_, o_.kernel_h, o_.kernel_w}, wi, true}};
  if (o_.bias) specs.push_back({"bias", Shape{o_.filters}, InitSpec::zeros(), false});
  return specs;
}

void Conv2D::bind(std::span<Tensor> params, std::span<Tensor> grads) {
  w_ = params[0];
  dw_ = grads[0];
  if (o_.bias) {
    b_ = params[1];
    db_ = grads[1];
  }
}

ScratchNeeds Conv2D::setup(const Shape& in, Backend& backend) {
  args_ = ConvArgs{geom_, o_.filters, in[0], o_.bias, cpu_threads(), precision_};
  const int64_t ws = dispatch(backend, [&](auto& be) { return conv2d_workspace(be, args_); });
  return {.workspace = ws, .saved = 0};
}

void Conv2D::bind_scratch(Tensor workspace, Tensor) {
  workspace_ = workspace;
}

void Conv2D::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  STRATA_CHECK(args_.batch == x.dim(0), "conv2d: forward before setup() for " << x.shape().str());
  dispatch(*ctx.backend, [&](auto& be) {
    conv2d_forward(be, args_, x.data(), w_.data(), o_.bias ? b_.data() : nullptr, y.data(),
                   workspace_.data());
  });
}

void Conv2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                      const StepContext& ctx) {
  STRATA_CHECK(args_.batch == x.dim(0), "conv2d: backward before setup() for " << x.shape().str());
  const bool grads = ctx.param_grads;
  dispatch(*ctx.backend, [&](auto& be) {
    conv2d_backward(be, args_, x.data(), w_.data(), dy.data(), grads ? dw_.data() : nullptr,
                    grads && o_.bias ? db_.data() : nullptr, dx ? dx->data() : nullptr,
                    workspace_.data());
  });
}

}  // namespace strata
