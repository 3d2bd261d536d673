#include "core/ops/conv_plan.h"

#include <climits>

#include "core/error.h"

namespace strata {

namespace {

// v as a cuDNN int; throws naming `what` when it does not fit.
int as_int(int64_t v, const char* what, const ConvArgs& a) {
  STRATA_CHECK(v >= 0 && v <= INT_MAX,
               "conv (cuDNN): " << what << " " << v << " passes cuDNN's int limit (batch "
                                << a.batch << ", " << a.geom.channels << "x" << a.geom.height << "x"
                                << a.geom.width << " images, " << a.channels
                                << " channels on the other side); use a smaller batch");
  return static_cast<int>(v);
}

}  // namespace

CudnnMath cudnn_math(Precision p) {
  return p == Precision::kFp32 ? CudnnMath::kFma : CudnnMath::kDefault;
}

bool cudnn_rounds_operands(Precision p) {
  return p == Precision::kBf16;
}

int64_t cudnn_out_size(int64_t in, int64_t pad, int64_t kernel, int64_t stride) {
  const int64_t padded = in + 2 * pad;
  return padded < kernel ? 0 : (padded - kernel) / stride + 1;
}

CudnnConvPlan plan_conv(const ConvArgs& a, bool transposed) {
  const ConvGeometry& g = a.geom;
  STRATA_CHECK(a.batch >= 1 && a.channels >= 1 && g.channels >= 1 && g.height >= 1 &&
                   g.width >= 1 && g.out_h >= 1 && g.out_w >= 1 && g.kernel_h >= 1 &&
                   g.kernel_w >= 1 && g.stride_h >= 1 && g.stride_w >= 1 && g.pad_top >= 0 &&
                   g.pad_left >= 0,
               "conv (cuDNN): empty or negative geometry (batch "
                   << a.batch << ", channels " << a.channels << ", image " << g.channels << "x"
                   << g.height << "x" << g.width << ", kernel " << g.kernel_h << "x" << g.kernel_w
                   << ", stride " << g.stride_h << "x" << g.stride_w << ", pad " << g.pad_top << "x"
                   << g.pad_left << ", output " << g.out_h << "x" << g.out_w << ")");
  CudnnConvPlan p;
  p.image_h = g.height;
  p.image_w = g.width;
  p.pad_top = g.pad_top;
  p.pad_left = g.pad_left;
  const bool rows_fit = cudnn_out_size(g.height, g.pad_top, g.kernel_h, g.stride_h) == g.out_h;
  const bool cols_fit = cudnn_out_size(g.width, g.pad_left, g.kernel_w, g.stride_w) == g.out_w;
  p.pad_copy = !(rows_fit && cols_fit);
  const int64_t h = p.pad_copy ? (g.out_h - 1) * g.stride_h + g.kernel_h : g.height;
  const int64_t w = p.pad_copy ? (g.out_w - 1) * g.stride_w + g.kernel_w : g.width;
  p.n = as_int(a.batch, "batch", a);
  p.c = as_int(g.channels, "image channels", a);
  p.h = as_int(h, "image height", a);
  p.w = as_int(w, "image width", a);
  p.k = as_int(a.channels, "channels", a);
  p.kernel_h = as_int(g.kernel_h, "kernel height", a);
  p.kernel_w = as_int(g.kernel_w, "kernel width", a);
  p.out_h = as_int(g.out_h, "output height", a);
  p.out_w = as_int(g.out_w, "output width", a);
  p.pad_h = p.pad_copy ? 0 : as_int(g.pad_top, "padding", a);
  p.pad_w = p.pad_copy ? 0 : as_int(g.pad_left, "padding", a);
  p.stride_h = as_int(g.stride_h, "stride", a);
  p.stride_w = as_int(g.stride_w, "stride", a);
  // cuDNN's 4-d descriptors hold int strides: every tensor's element count must fit.
  as_int(a.batch * g.channels * g.height * g.width, "image elements", a);
  as_int(a.batch * g.channels * h * w, "padded image elements", a);
  as_int(a.batch * a.channels * g.out_h * g.out_w, "output elements", a);
  as_int(a.channels * g.channels * g.kernel_h * g.kernel_w, "weight elements", a);
  p.bias_channels = transposed ? g.channels : a.channels;
  p.bias_plane = transposed ? g.height * g.width : g.out_h * g.out_w;
  p.padded_floats = p.pad_copy ? a.batch * g.channels * h * w : 0;
  p.math = cudnn_math(a.precision);
  p.round_operands = cudnn_rounds_operands(a.precision);
  const auto aligned = [](int64_t v) {
    return (v + kCudnnAlignFloats - 1) / kCudnnAlignFloats * kCudnnAlignFloats;
  };
  p.operands_end = p.padded_floats;
  if (p.round_operands) {
    p.image_copy = aligned(p.operands_end);
    p.columns_copy = aligned(p.image_copy + a.batch * g.channels * h * w);
    p.filter_copy = aligned(p.columns_copy + a.batch * a.channels * g.out_h * g.out_w);
    p.operands_end = p.filter_copy + a.channels * g.channels * g.kernel_h * g.kernel_w;
  }
  p.cudnn_offset = aligned(p.operands_end);
  return p;
}

int64_t conv_workspace_floats(const CudnnConvPlan& p, size_t cudnn_bytes) {
  const int64_t cudnn_floats =
      static_cast<int64_t>((cudnn_bytes + sizeof(float) - 1) / sizeof(float));
  return cudnn_floats > 0 ? p.cudnn_offset + cudnn_floats : p.operands_end;
}

}  // namespace strata
