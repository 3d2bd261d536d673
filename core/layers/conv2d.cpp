// Conv2D on the CPU: im2col + GEMM, parallel over groups of images (see im2col.h).
//
// Each thread takes whole groups of images, builds their column matrix cols[Cin*kh*kw,
// group*Ho*Wo] in its own scratch slice and runs single-threaded GEMMs on it (OpenBLAS's OpenMP
// build runs a GEMM called inside a parallel region on the calling thread):
//   forward        y[Cout, cols]  = W[Cout, K] * cols
//   weight grad    dW[Cout, K]   += dy[Cout, cols] * cols^T   (per-thread partials, summed after)
//   input grad     dcols[K, cols] = W^T * dy, then col2im into dx
#include "core/layers/conv2d.h"

#include <omp.h>

#include <algorithm>

#include "core/blas.h"
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

void Conv2D::setup(const Shape& in) {
  const int64_t k = geom_.rows(), plane = geom_.plane(), cout = o_.filters;
  if (geom_.is_dense()) {  // no scratch needed
    scratch_.resize(Shape{1});
    return;
  }
  split_ = split_batch(in[0], plane, k, cout * k * plane, cpu_threads());
  const int64_t cols = split_.group * plane;
  off_buf_ = align_floats(k * cols);
  off_dw_ = off_buf_ + (split_.group > 1 ? align_floats(cout * cols) : 0);
  off_db_ = off_dw_ + align_floats(cout * k);
  slice_ = off_db_ + align_floats(cout);
  scratch_.resize(Shape{split_.threads * slice_});
}

void Conv2D::forward(const Tensor& x, Tensor& y, const StepContext&) {
  STRATA_CHECK(!scratch_.empty(), "conv2d: forward before setup()");
  if (geom_.is_dense()) return forward_dense(x, y);
  const int64_t n = x.dim(0), k = geom_.rows(), plane = geom_.plane(), cout = o_.filters;
  const int64_t in_size = geom_.image_size(), out_size = cout * plane, group = split_.group;
  const int64_t groups = split_.groups(n);
  const float* w = w_.data();
  const float* bias = o_.bias ? b_.data() : nullptr;
  const int threads = split_.active_threads(n);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    float* cols = slice(omp_get_thread_num());
    float* buf = cols + off_buf_;
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      for (int64_t i = 0; i < count; ++i)
        im2col(x.data() + (n0 + i) * in_size, geom_, cols + i * plane, ld);
      float* yn = y.data() + n0 * out_size;
      if (count == 1) {
        gemm(false, false, cout, ld, k, 1.0f, w, k, cols, ld, 0.0f, yn, ld);
        if (bias) add_channel_bias(yn, cout, plane, bias);
      } else {
        gemm(false, false, cout, ld, k, 1.0f, w, k, cols, ld, 0.0f, buf, ld);
        unpack_images(buf, count, cout, plane, bias, yn);
      }
    }
  }
}

void Conv2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                      const StepContext& ctx) {
  STRATA_CHECK(!scratch_.empty(), "conv2d: backward before setup()");
  const bool want_dw = ctx.param_grads;
  if (!want_dw && !dx) return;
  if (geom_.is_dense()) return backward_dense(x, dy, dx, ctx);
  const int64_t n = x.dim(0), k = geom_.rows(), plane = geom_.plane(), cout = o_.filters;
  const int64_t in_size = geom_.image_size(), out_size = cout * plane, group = split_.group;
  const int64_t groups = split_.groups(n);
  const bool want_db = want_dw && o_.bias;
  const float* w = w_.data();
  const int threads = split_.active_threads(n);
  int team = 1;  // the threads the runtime actually gave us
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = omp_get_thread_num();
    float* cols = slice(t);
    float* buf = cols + off_buf_;
    float* dw = t == 0 ? dw_.data() : cols + off_dw_;
    float* db = !want_db ? nullptr : t == 0 ? db_.data() : cols + off_db_;
    if (t == 0) team = omp_get_num_threads();
    if (t > 0 && want_dw) std::fill(dw, dw + cout * k, 0.0f);
    if (t > 0 && want_db) std::fill(db, db + cout, 0.0f);
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      const float* dyn = dy.data() + n0 * out_size;
      const float* g = dyn;  // dy of the group as [Cout, count * plane]
      if (count > 1) {
        pack_images(dyn, count, cout, plane, buf);
        g = buf;
      }
      if (want_dw) {
        for (int64_t i = 0; i < count; ++i)
          im2col(x.data() + (n0 + i) * in_size, geom_, cols + i * plane, ld);
        gemm(false, true, cout, k, ld, 1.0f, g, ld, cols, ld, 1.0f, dw, k);
        if (db) add_channel_sums(dyn, count, cout, plane, db);
      }
      if (dx) {
        gemm(true, false, k, ld, cout, 1.0f, w, k, g, ld, 0.0f, cols, ld);
        for (int64_t i = 0; i < count; ++i) {
          float* dxi = dx->data() + (n0 + i) * in_size;
          std::fill(dxi, dxi + in_size, 0.0f);
          col2im_add(cols + i * plane, ld, geom_, dxi);
        }
      }
    }
  }
  if (team > 1 && want_dw) {
    add_partials(dw_.data(), slice(1) + off_dw_, team - 1, slice_, cout * k, team);
    if (want_db) add_partials(db_.data(), slice(1) + off_db_, team - 1, slice_, cout, 1);
  }
}

// y[N, Cout] = x[N, K] * W^T + b, as in Dense.
void Conv2D::forward_dense(const Tensor& x, Tensor& y) {
  const int64_t n = x.dim(0), k = geom_.rows(), cout = o_.filters;
  gemm(false, true, n, cout, k, 1.0f, x.data(), k, w_.data(), k, 0.0f, y.data(), cout);
  if (o_.bias)
    for (int64_t i = 0; i < n; ++i) add_channel_bias(y.data() + i * cout, cout, 1, b_.data());
}

void Conv2D::backward_dense(const Tensor& x, const Tensor& dy, Tensor* dx, const StepContext& ctx) {
  const int64_t n = x.dim(0), k = geom_.rows(), cout = o_.filters;
  if (ctx.param_grads) {
    gemm(true, false, cout, k, n, 1.0f, dy.data(), cout, x.data(), k, 1.0f, dw_.data(), k);
    if (o_.bias) add_channel_sums(dy.data(), n, cout, 1, db_.data());
  }
  if (dx) gemm(false, false, n, k, cout, 1.0f, dy.data(), cout, w_.data(), k, 0.0f, dx->data(), k);
}

}  // namespace strata
