// ConvTranspose2D on the CPU: the adjoint of Conv2D, so its forward is Conv2D's input gradient
// and its input gradient is Conv2D's forward (see im2col.h for the column layout).
//
// With W seen as [Cin, K] (K = Cout*kh*kw) and x of a group of images as [Cin, group*H*W]:
//   forward        cols[K, group*H*W] = W^T * x, then col2im into y (initialised with the bias)
//   input grad     cols = im2col(dy), dx[Cin, group*H*W] = W * cols
//   weight grad    dW[Cin, K] += x * cols^T   (per-thread partials, summed after)
// Parallel over groups of images; every GEMM runs single-threaded on its thread.
#include "core/layers/conv_transpose2d.h"

#include <omp.h>

#include <algorithm>

#include "core/blas.h"
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

void ConvTranspose2D::setup(const Shape& in) {
  const int64_t k = geom_.rows(), plane = geom_.plane();
  if (geom_.is_dense()) {  // no scratch needed
    scratch_.resize(Shape{1});
    return;
  }
  split_ = split_batch(in[0], plane, k, cin_ * k * plane, cpu_threads());
  const int64_t cols = split_.group * plane;
  off_buf_ = align_floats(k * cols);
  off_dw_ = off_buf_ + (split_.group > 1 ? align_floats(cin_ * cols) : 0);
  off_db_ = off_dw_ + align_floats(cin_ * k);
  slice_ = off_db_ + align_floats(o_.filters);
  scratch_.resize(Shape{split_.threads * slice_});
}

void ConvTranspose2D::forward(const Tensor& x, Tensor& y, const StepContext&) {
  STRATA_CHECK(!scratch_.empty(), "conv_transpose2d: forward before setup()");
  if (geom_.is_dense()) return forward_dense(x, y);
  const int64_t n = x.dim(0), k = geom_.rows(), plane = geom_.plane(), cout = o_.filters;
  const int64_t in_size = cin_ * plane, out_plane = ho_ * wo_, out_size = cout * out_plane;
  const int64_t group = split_.group, groups = split_.groups(n);
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
      const float* xg = x.data() + n0 * in_size;  // x of the group as [Cin, count * plane]
      if (count > 1) {
        pack_images(xg, count, cin_, plane, buf);
        xg = buf;
      }
      gemm(true, false, k, ld, cin_, 1.0f, w, k, xg, ld, 0.0f, cols, ld);
      for (int64_t i = 0; i < count; ++i) {
        float* yi = y.data() + (n0 + i) * out_size;
        fill_channels(yi, cout, out_plane, bias);
        col2im_add(cols + i * plane, ld, geom_, yi);
      }
    }
  }
}

void ConvTranspose2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                               const StepContext& ctx) {
  STRATA_CHECK(!scratch_.empty(), "conv_transpose2d: backward before setup()");
  const bool want_dw = ctx.param_grads;
  if (!want_dw && !dx) return;
  if (geom_.is_dense()) return backward_dense(x, dy, dx, ctx);
  const int64_t n = x.dim(0), k = geom_.rows(), plane = geom_.plane(), cout = o_.filters;
  const int64_t in_size = cin_ * plane, out_plane = ho_ * wo_, out_size = cout * out_plane;
  const int64_t group = split_.group, groups = split_.groups(n);
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
    if (t > 0 && want_dw) std::fill(dw, dw + cin_ * k, 0.0f);
    if (t > 0 && want_db) std::fill(db, db + cout, 0.0f);
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t n0 = gi * group, count = std::min(group, n - n0), ld = count * plane;
      const float* dyn = dy.data() + n0 * out_size;
      for (int64_t i = 0; i < count; ++i) im2col(dyn + i * out_size, geom_, cols + i * plane, ld);
      if (want_dw) {
        const float* xg = x.data() + n0 * in_size;
        if (count > 1) {
          pack_images(xg, count, cin_, plane, buf);
          xg = buf;
        }
        gemm(false, true, cin_, k, ld, 1.0f, xg, ld, cols, ld, 1.0f, dw, k);
        if (db) add_channel_sums(dyn, count, cout, out_plane, db);
      }
      if (dx) {
        float* dxn = dx->data() + n0 * in_size;
        gemm(false, false, cin_, ld, k, 1.0f, w, k, cols, ld, 0.0f, count > 1 ? buf : dxn, ld);
        if (count > 1) unpack_images(buf, count, cin_, plane, nullptr, dxn);
      }
    }
  }
  if (team > 1 && want_dw) {
    add_partials(dw_.data(), slice(1) + off_dw_, team - 1, slice_, cin_ * k, team);
    if (want_db) add_partials(db_.data(), slice(1) + off_db_, team - 1, slice_, cout, 1);
  }
}

// A 1x1 input with no padding (dcgan64's first generator layer): y[N, Cout*kh*kw] =
// x[N, Cin] * W[Cin, Cout*kh*kw], plus the bias of each output plane.
void ConvTranspose2D::forward_dense(const Tensor& x, Tensor& y) {
  const int64_t n = x.dim(0), k = geom_.rows(), cout = o_.filters, kk = k / cout;
  gemm(false, false, n, k, cin_, 1.0f, x.data(), cin_, w_.data(), k, 0.0f, y.data(), k);
  if (o_.bias)
    for (int64_t i = 0; i < n; ++i) add_channel_bias(y.data() + i * k, cout, kk, b_.data());
}

void ConvTranspose2D::backward_dense(const Tensor& x, const Tensor& dy, Tensor* dx,
                                     const StepContext& ctx) {
  const int64_t n = x.dim(0), k = geom_.rows(), cout = o_.filters, kk = k / cout;
  if (ctx.param_grads) {
    gemm(true, false, cin_, k, n, 1.0f, x.data(), cin_, dy.data(), k, 1.0f, dw_.data(), k);
    if (o_.bias) add_channel_sums(dy.data(), n, cout, kk, db_.data());
  }
  if (dx) gemm(false, true, n, cin_, k, 1.0f, dy.data(), k, w_.data(), k, 0.0f, dx->data(), cin_);
}

}  // namespace strata
