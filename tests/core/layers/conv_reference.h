// Test helpers for Conv2D and ConvTranspose2D: direct (loop-nest) reference convolutions, written
// independently of im2col, and a holder that gives a layer its own parameter buffers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/layer.h"
#include "tests/support/gradcheck.h"

namespace strata::testing {

// Direct convolution: y[n, co, oh, ow] = b[co] + sum w[co, ci, i, j] *
// x[n, ci, oh*sh - top + i, ow*sw - left + j] (0 outside x). w is [Cout, Cin, kh, kw].
inline Tensor reference_conv2d(const Tensor& x, const Tensor& w, const float* b, int64_t sh,
                               int64_t sw, int64_t top, int64_t left, int64_t oh_n, int64_t ow_n) {
  const int64_t n = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t cout = w.dim(0), kh = w.dim(2), kw = w.dim(3);
  Tensor y(Shape{n, cout, oh_n, ow_n});
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t co = 0; co < cout; ++co)
      for (int64_t oh = 0; oh < oh_n; ++oh)
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          double s = b ? b[co] : 0.0;
          for (int64_t ci = 0; ci < cin; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t ih = oh * sh - top + i, iw = ow * sw - left + j;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                s += static_cast<double>(w[((co * cin + ci) * kh + i) * kw + j]) *
                     x[((b0 * cin + ci) * h + ih) * wd + iw];
              }
          y[((b0 * cout + co) * oh_n + oh) * ow_n + ow] = static_cast<float>(s);
        }
  return y;
}

// Direct transposed convolution: every x[n, ci, ih, iw] scatters w[ci, co, i, j] * x onto
// y[n, co, ih*sh - top + i, iw*sw - left + j] (dropped outside y), plus b[co]. w is
// [Cin, Cout, kh, kw].
inline Tensor reference_conv_transpose2d(const Tensor& x, const Tensor& w, const float* b,
                                         int64_t sh, int64_t sw, int64_t top, int64_t left,
                                         int64_t oh_n, int64_t ow_n) {
  const int64_t n = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t cout = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  std::vector<double> acc(static_cast<size_t>(n * cout * oh_n * ow_n), 0.0);
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t ci = 0; ci < cin; ++ci)
      for (int64_t ih = 0; ih < h; ++ih)
        for (int64_t iw = 0; iw < wd; ++iw) {
          const double v = x[((b0 * cin + ci) * h + ih) * wd + iw];
          for (int64_t co = 0; co < cout; ++co)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t oh = ih * sh - top + i, ow = iw * sw - left + j;
                if (oh < 0 || oh >= oh_n || ow < 0 || ow >= ow_n) continue;
                acc[((b0 * cout + co) * oh_n + oh) * ow_n + ow] +=
                    v * w[((ci * cout + co) * kh + i) * kw + j];
              }
        }
  Tensor y(Shape{n, cout, oh_n, ow_n});
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t co = 0; co < cout; ++co)
      for (int64_t p = 0; p < oh_n * ow_n; ++p) {
        const int64_t idx = (b0 * cout + co) * oh_n * ow_n + p;
        y[idx] = static_cast<float>(acc[idx] + (b ? b[co] : 0.0));
      }
  return y;
}

// The weight gradient of reference_conv2d: dw[co, ci, i, j] = sum over n, oh, ow of
// dy[n, co, oh, ow] * x[n, ci, oh*sh - top + i, ow*sw - left + j].
inline Tensor reference_conv2d_weight_grad(const Tensor& x, const Tensor& dy, int64_t kh,
                                           int64_t kw, int64_t sh, int64_t sw, int64_t top,
                                           int64_t left) {
  const int64_t n = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t cout = dy.dim(1), oh_n = dy.dim(2), ow_n = dy.dim(3);
  Tensor dw(Shape{cout, cin, kh, kw});
  for (int64_t co = 0; co < cout; ++co)
    for (int64_t ci = 0; ci < cin; ++ci)
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) {
          double s = 0.0;
          for (int64_t b0 = 0; b0 < n; ++b0)
            for (int64_t oh = 0; oh < oh_n; ++oh)
              for (int64_t ow = 0; ow < ow_n; ++ow) {
                const int64_t ih = oh * sh - top + i, iw = ow * sw - left + j;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                s += static_cast<double>(dy[((b0 * cout + co) * oh_n + oh) * ow_n + ow]) *
                     x[((b0 * cin + ci) * h + ih) * wd + iw];
              }
          dw[((co * cin + ci) * kh + i) * kw + j] = static_cast<float>(s);
        }
  return dw;
}

// Per-channel sums of dy over the batch and the plane (the bias gradient).
inline std::vector<double> channel_sums(const Tensor& dy) {
  const int64_t n = dy.dim(0), c = dy.dim(1), plane = dy.dim(2) * dy.dim(3);
  std::vector<double> s(static_cast<size_t>(c), 0.0);
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t p = 0; p < plane; ++p) s[ci] += dy[(b0 * c + ci) * plane + p];
  return s;
}

// A layer built for `in`, with its own random parameters and zeroed gradients, set up for `in`.
struct BoundLayer {
  std::vector<Tensor> params, grads;
  Shape out;

  BoundLayer(Layer& layer, const Shape& in, uint32_t stream = 11) {
    out = layer.build(in);
    uint32_t s = stream;
    for (const ParamSpec& spec : layer.param_specs()) {
      params.emplace_back(spec.shape);
      grads.push_back(Tensor::zeros(spec.shape));
      fill_random(params.back(), s++, 0.5f);
    }
    layer.bind(params, grads);
    setup_layer(layer, in);
  }
  const float* bias() const { return params.size() > 1 ? params[1].data() : nullptr; }
};

// max |a - b| / (1 + |b|) over all elements; shapes must match. The tests allow 1e-5 where each
// float32 value sums at most a few hundred products (outputs, input gradients) and 1e-4 for
// weight and bias gradients, which sum over the whole batch and plane (thousands of products),
// against a reference accumulated in double.
inline double max_rel_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double m = 0.0;
  for (int64_t i = 0; i < std::min(a.numel(), b.numel()); ++i)
    m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]) / (1.0 + std::fabs(b[i])));
  return m;
}

}  // namespace strata::testing
