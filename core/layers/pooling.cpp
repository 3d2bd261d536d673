#include "core/layers/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace strata {

namespace {
constexpr int64_t kParallelMin = 16384;  // below this, a parallel loop costs more than it saves
}

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

void MaxPool2D::setup(const Shape& in) {
  argmax_.assign(static_cast<size_t>(in[0] * c_ * ho_ * wo_), 0);
}

void MaxPool2D::forward(const Tensor& x, Tensor& y, const StepContext&) {
  const int64_t planes = x.dim(0) * c_, hw = h_ * w_, out = ho_ * wo_;
  STRATA_CHECK(static_cast<int64_t>(argmax_.size()) >= planes * out,
               "maxpool2d: setup() was not called for input " << x.shape().str());
  const float* xp = x.data();
  float* yp = y.data();
  int32_t* am = argmax_.data();
  const int64_t kh = o_.kernel_h, kw = o_.kernel_w, sh = o_.stride_h, sw = o_.stride_w;
  const int64_t ph = o_.pad_h, pw = o_.pad_w, h = h_, w = w_, ho = ho_, wo = wo_;
#pragma omp parallel for if (planes * out * kh * kw >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = xp + p * hw;
    float* dst = yp + p * out;
    int32_t* idx = am + p * out;
    for (int64_t oh = 0; oh < ho; ++oh) {
      // Padding counts as -inf: clamping the window to the real values is the same thing.
      const int64_t h0 = std::max<int64_t>(oh * sh - ph, 0);
      const int64_t h1 = std::min<int64_t>(oh * sh - ph + kh, h);
      for (int64_t ow = 0; ow < wo; ++ow) {
        const int64_t w0 = std::max<int64_t>(ow * sw - pw, 0);
        const int64_t w1 = std::min<int64_t>(ow * sw - pw + kw, w);
        int64_t best_i = h0 * w + w0;
        float best = src[best_i];
        for (int64_t i = h0; i < h1; ++i)
          for (int64_t j = w0; j < w1; ++j) {
            const float v = src[i * w + j];
            if (v > best || std::isnan(v)) {  // first maximum wins; NaN propagates (PyTorch)
              best = v;
              best_i = i * w + j;
            }
          }
        dst[oh * wo + ow] = best;
        idx[oh * wo + ow] = static_cast<int32_t>(best_i);
      }
    }
  }
}

void MaxPool2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                         const StepContext&) {
  if (!dx) return;
  const int64_t planes = x.dim(0) * c_, hw = h_ * w_, out = ho_ * wo_;
  const float* g = dy.data();
  float* d = dx->data();
  const int32_t* am = argmax_.data();
#pragma omp parallel for if (planes * (hw + out) >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {  // planes are disjoint: no two threads share a dx value
    float* dp = d + p * hw;
    std::memset(dp, 0, sizeof(float) * hw);
    const float* gp = g + p * out;
    const int32_t* idx = am + p * out;
    for (int64_t k = 0; k < out; ++k) dp[idx[k]] += gp[k];
  }
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

void Upsample2D::forward(const Tensor& x, Tensor& y, const StepContext&) {
  const int64_t planes = x.dim(0) * c_, sh = o_.scale_h, sw = o_.scale_w, h = h_, w = w_;
  const int64_t wo = w * sw, out = h * sh * wo;
  const float* xp = x.data();
  float* yp = y.data();
#pragma omp parallel for if (planes * out >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = xp + p * h * w;
    float* dst = yp + p * out;
    for (int64_t i = 0; i < h; ++i) {
      float* row = dst + i * sh * wo;
      for (int64_t j = 0; j < w; ++j)
        for (int64_t b = 0; b < sw; ++b) row[j * sw + b] = src[i * w + j];
      for (int64_t a = 1; a < sh; ++a) std::memcpy(row + a * wo, row, sizeof(float) * wo);
    }
  }
}

void Upsample2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                          const StepContext&) {
  if (!dx) return;
  const int64_t planes = x.dim(0) * c_, sh = o_.scale_h, sw = o_.scale_w, h = h_, w = w_;
  const int64_t wo = w * sw, out = h * sh * wo;
  const float* g = dy.data();
  float* d = dx->data();
#pragma omp parallel for if (planes * out >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = g + p * out;
    float* dst = d + p * h * w;
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        float s = 0.0f;  // the sum of dy over the sh x sw block that copied x[i, j]
        for (int64_t a = 0; a < sh; ++a)
          for (int64_t b = 0; b < sw; ++b) s += src[(i * sh + a) * wo + j * sw + b];
        dst[i * w + j] = s;
      }
  }
}

}  // namespace strata
