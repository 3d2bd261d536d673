// The pooling kernels' bodies, one value per call, compiled for the host and the GPU
// (core/ops/pooling.cu launches them; tests/core/ops/kernels/pooling_test.cpp runs them on the
// CPU against pooling.cpp). Each gives pooling.cpp's values bit for bit: the forwards copy values,
// and each backward sums, per input value, the same terms in the same order as the CPU op.
#pragma once

#include <cstdint>

#include "core/host_device.h"
#include "core/ops/pooling.h"

namespace strata {

// One output value of maxpool2d: the first maximum of its window (padding counts as -inf), NaN
// winning (the last NaN of the window, as the CPU's scan keeps moving to each NaN it meets), and
// its index within the input plane.
struct MaxPoolForwardBody {
  PoolDims d;
  const float* x;
  float* y;
  int32_t* argmax;
  STRATA_HD void operator()(int64_t i) const {
    const int64_t out = d.out_h * d.out_w;
    const int64_t p = i / out, r = i - p * out, oh = r / d.out_w, ow = r - oh * d.out_w;
    const float* src = x + p * d.h * d.w;
    const int64_t hs = oh * d.stride_h - d.pad_h, ws = ow * d.stride_w - d.pad_w;
    const int64_t h0 = hs > 0 ? hs : 0, h1 = hs + d.kernel_h < d.h ? hs + d.kernel_h : d.h;
    const int64_t w0 = ws > 0 ? ws : 0, w1 = ws + d.kernel_w < d.w ? ws + d.kernel_w : d.w;
    int64_t best_i = h0 * d.w + w0;
    float best = src[best_i];
    for (int64_t a = h0; a < h1; ++a)
      for (int64_t b = w0; b < w1; ++b) {
        const float v = src[a * d.w + b];
        if (v > best || v != v) {  // v != v: NaN
          best = v;
          best_i = a * d.w + b;
        }
      }
    y[i] = best;
    argmax[i] = static_cast<int32_t>(best_i);
  }
};

// The outputs of one axis whose windows hold input position q: o * stride - pad <= q and
// q < o * stride - pad + kernel, within [0, outs). Empty when lo > hi.
struct PoolWindowRange {
  int64_t lo, hi;
};
STRATA_HD inline PoolWindowRange pool_windows_holding(int64_t q, int64_t kernel, int64_t stride,
                                                      int64_t pad, int64_t outs) {
  const int64_t first = q + pad - kernel + 1;  // o * stride >= first
  const int64_t lo = first > 0 ? (first + stride - 1) / stride : 0;
  const int64_t last = (q + pad) / stride;  // q + pad >= 0
  return {lo, last < outs - 1 ? last : outs - 1};
}

// One input value of maxpool2d's backward: the sum of dy over the outputs whose argmax is this
// value, in increasing output order from 0.0f, which are the CPU's additions in its order. Only
// windows that hold the value can point at it (the argmax is always within its window), so each
// input gathers from a few outputs and no two threads write one value: no atomics.
struct MaxPoolBackwardBody {
  PoolDims d;
  const float* dy;
  const int32_t* argmax;
  float* dx;
  STRATA_HD void operator()(int64_t i) const {
    const int64_t hw = d.h * d.w, out = d.out_h * d.out_w;
    const int64_t p = i / hw, r = i - p * hw, ih = r / d.w, iw = r - ih * d.w;
    const PoolWindowRange rh = pool_windows_holding(ih, d.kernel_h, d.stride_h, d.pad_h, d.out_h);
    const PoolWindowRange rw = pool_windows_holding(iw, d.kernel_w, d.stride_w, d.pad_w, d.out_w);
    const float* g = dy + p * out;
    const int32_t* idx = argmax + p * out;
    float s = 0.0f;
    for (int64_t oh = rh.lo; oh <= rh.hi; ++oh)
      for (int64_t ow = rw.lo; ow <= rw.hi; ++ow) {
        const int64_t k = oh * d.out_w + ow;
        if (idx[k] == r) s += g[k];
      }
    dx[i] = s;
  }
};

// One output value of upsample2d: the input value whose block it lies in.
struct UpsampleForwardBody {
  UpsampleDims d;
  const float* x;
  float* y;
  STRATA_HD void operator()(int64_t i) const {
    const int64_t wo = d.w * d.scale_w, out = d.h * d.scale_h * wo;
    const int64_t p = i / out, r = i - p * out, oh = r / wo, ow = r - oh * wo;
    y[i] = x[p * d.h * d.w + (oh / d.scale_h) * d.w + ow / d.scale_w];
  }
};

// One input value of upsample2d's backward: the sum of dy over its scale_h x scale_w block, row
// by row, as the CPU adds it.
struct UpsampleBackwardBody {
  UpsampleDims d;
  const float* dy;
  float* dx;
  STRATA_HD void operator()(int64_t i) const {
    const int64_t wo = d.w * d.scale_w, out = d.h * d.scale_h * wo, hw = d.h * d.w;
    const int64_t p = i / hw, r = i - p * hw, ih = r / d.w, iw = r - ih * d.w;
    const float* src = dy + p * out;
    float s = 0.0f;
    for (int64_t a = 0; a < d.scale_h; ++a)
      for (int64_t b = 0; b < d.scale_w; ++b)
        s += src[(ih * d.scale_h + a) * wo + iw * d.scale_w + b];
    dx[i] = s;
  }
};

}  // namespace strata
