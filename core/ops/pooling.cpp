#include "core/ops/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/cpu_threads.h"

namespace strata {

void maxpool2d_forward(CpuBackend&, const PoolDims& d, const float* xp, float* yp, int32_t* am) {
  const int64_t planes = d.planes, hw = d.h * d.w, out = d.out_h * d.out_w;
  const int64_t kh = d.kernel_h, kw = d.kernel_w, sh = d.stride_h, sw = d.stride_w;
  const int64_t ph = d.pad_h, pw = d.pad_w, h = d.h, w = d.w, ho = d.out_h, wo = d.out_w;
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

void maxpool2d_backward(CpuBackend&, const PoolDims& d, const float* g, const int32_t* am,
                        float* dx) {
  const int64_t planes = d.planes, hw = d.h * d.w, out = d.out_h * d.out_w;
  float* dd = dx;
#pragma omp parallel for if (planes * (hw + out) >= kParallelMin)
  for (int64_t p = 0; p < planes; ++p) {  // planes are disjoint: no two threads share a dx value
    float* dp = dd + p * hw;
    std::memset(dp, 0, sizeof(float) * hw);
    const float* gp = g + p * out;
    const int32_t* idx = am + p * out;
    for (int64_t k = 0; k < out; ++k) dp[idx[k]] += gp[k];
  }
}

void upsample2d_forward(CpuBackend&, const UpsampleDims& d, const float* xp, float* yp) {
  const int64_t planes = d.planes, sh = d.scale_h, sw = d.scale_w, h = d.h, w = d.w;
  const int64_t wo = w * sw, out = h * sh * wo;
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

void upsample2d_backward(CpuBackend&, const UpsampleDims& dims, const float* g, float* d) {
  const int64_t planes = dims.planes, sh = dims.scale_h, sw = dims.scale_w, h = dims.h, w = dims.w;
  const int64_t wo = w * sw, out = h * sh * wo;
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
