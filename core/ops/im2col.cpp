#include "core/ops/im2col.h"

#include <algorithm>
#include <cstring>

#include "core/cpu_threads.h"

namespace strata {

namespace {

// The output positions [lo, hi) of one axis whose input index o * stride + offset lies in
// [0, size) (offset = kernel tap - pad); the others read padding.
void valid_range(int64_t size, int64_t out, int64_t stride, int64_t offset, int64_t& lo,
                 int64_t& hi) {
  lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  hi = size - offset <= 0 ? 0 : (size - offset - 1) / stride + 1;
  hi = std::min(hi, out);
  lo = std::min(lo, hi);
}

// Copies (or, with Add, adds back) the valid rectangle of one kernel tap of one channel:
// column-row positions (oh, ow) in [oh_lo, oh_hi) x [ow_lo, ow_hi) <-> image[ih0 + oh * sh,
// off + ow * sw]. SW > 0 fixes the column stride at compile time (1 and 2 cover almost every
// layer, and let the short inner loops be unrolled and vectorised); SW = 0 reads it from sw.
template <int SW, bool Add>
void tap_rows(float* image_c, float* row, int64_t W, int64_t OW, int64_t sh, int64_t sw,
              int64_t ih0, int64_t off, int64_t oh_lo, int64_t oh_hi, int64_t ow_lo,
              int64_t ow_hi) {
  const int64_t s = SW > 0 ? SW : sw;
  for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
    float* d = row + oh * OW;
    float* x = image_c + (ih0 + oh * sh) * W + off;
    if constexpr (Add) {
      for (int64_t ow = ow_lo; ow < ow_hi; ++ow) x[ow * s] += d[ow];
    } else {
      for (int64_t ow = ow_lo; ow < ow_hi; ++ow) d[ow] = x[ow * s];
    }
  }
}

// Runs tap_rows over every tap and channel. Taps are the outer loops so that their valid ranges
// (which cost divisions) are computed once per tap rather than once per channel. Without Add,
// taps that reach into the padding zero their column rows first.
template <bool Add>
void for_each_tap(float* image, const ConvGeometry& g, float* cols, int64_t ld) {
  const int64_t H = g.height, W = g.width, OH = g.out_h, OW = g.out_w;
  const int64_t sh = g.stride_h, sw = g.stride_w, kh = g.kernel_h, kw = g.kernel_w;
  for (int64_t i = 0; i < kh; ++i) {
    int64_t oh_lo, oh_hi;
    valid_range(H, OH, sh, i - g.pad_top, oh_lo, oh_hi);
    for (int64_t j = 0; j < kw; ++j) {
      int64_t ow_lo, ow_hi;
      valid_range(W, OW, sw, j - g.pad_left, ow_lo, ow_hi);
      const bool padded = oh_lo > 0 || oh_hi < OH || ow_lo > 0 || ow_hi < OW;
      const int64_t ih0 = i - g.pad_top, off = j - g.pad_left;
      for (int64_t c = 0; c < g.channels; ++c) {
        float* row = cols + ((c * kh + i) * kw + j) * ld;
        float* image_c = image + c * H * W;
        if (!Add && padded) std::memset(row, 0, sizeof(float) * OH * OW);
        if (sw == 1) {
          tap_rows<1, Add>(image_c, row, W, OW, sh, sw, ih0, off, oh_lo, oh_hi, ow_lo, ow_hi);
        } else if (sw == 2) {
          tap_rows<2, Add>(image_c, row, W, OW, sh, sw, ih0, off, oh_lo, oh_hi, ow_lo, ow_hi);
        } else {
          tap_rows<0, Add>(image_c, row, W, OW, sh, sw, ih0, off, oh_lo, oh_hi, ow_lo, ow_hi);
        }
      }
    }
  }
}

}  // namespace

void im2col(const float* image, const ConvGeometry& g, float* cols, int64_t ld) {
  // Without Add, the image is only read.
  for_each_tap<false>(const_cast<float*>(image), g, cols, ld);
}

void col2im_add(const float* cols, int64_t ld, const ConvGeometry& g, float* image) {
  // With Add, the columns are only read.
  for_each_tap<true>(image, g, const_cast<float*>(cols), ld);
}

void pack_images(const float* x, int64_t count, int64_t channels, int64_t plane, float* packed) {
  const int64_t ld = count * plane;
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < channels; ++c)
      std::memcpy(packed + c * ld + i * plane, x + (i * channels + c) * plane,
                  sizeof(float) * plane);
}

void unpack_images(const float* packed, int64_t count, int64_t channels, int64_t plane,
                   const float* bias, float* x) {
  const int64_t ld = count * plane;
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* s = packed + c * ld + i * plane;
      float* d = x + (i * channels + c) * plane;
      const float b = bias ? bias[c] : 0.0f;
      for (int64_t p = 0; p < plane; ++p) d[p] = s[p] + b;
    }
  }
}

void fill_channels(float* y, int64_t channels, int64_t plane, const float* bias) {
  for (int64_t c = 0; c < channels; ++c) {
    const float b = bias ? bias[c] : 0.0f;
    float* d = y + c * plane;
    for (int64_t p = 0; p < plane; ++p) d[p] = b;
  }
}

void add_channel_bias(float* y, int64_t channels, int64_t plane, const float* bias) {
  for (int64_t c = 0; c < channels; ++c) {
    const float b = bias[c];
    float* d = y + c * plane;
    for (int64_t p = 0; p < plane; ++p) d[p] += b;
  }
}

void add_channel_sums(const float* dy, int64_t count, int64_t channels, int64_t plane,
                      float* sums) {
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* s = dy + (i * channels + c) * plane;
      float acc = 0.0f;
      for (int64_t p = 0; p < plane; ++p) acc += s[p];
      sums[c] += acc;
    }
  }
}

namespace {
// Columns per GEMM to aim for. dcgan28's 128x1024 layer on 7x7 planes, one thread, OpenBLAS
// 0.3.21 SkylakeX kernels: 49 columns (one image) ran its three GEMMs at 98-113 GFLOPS, 392
// columns (8 images) at 131-155; larger groups gained nothing measurable.
constexpr int64_t kMinColumns = 384;
// Per-thread column matrix cap (4 MiB): keeps scratch modest for wide layers.
constexpr int64_t kMaxColumnFloats = int64_t{1} << 20;
// Multiply-adds below which a second thread costs more than it saves (a parallel region costs a
// few microseconds, more on a loaded machine).
constexpr int64_t kMinThreadWork = int64_t{1} << 18;
}  // namespace

int BatchSplit::active_threads(int64_t batch) const {
  const int64_t by_work = std::max<int64_t>(1, batch * work_per_image / kMinThreadWork);
  return static_cast<int>(std::clamp<int64_t>(std::min(by_work, groups(batch)), 1, threads));
}

BatchSplit split_batch(int64_t batch, int64_t plane, int64_t rows, int64_t work_per_image,
                       int threads) {
  BatchSplit s;
  s.threads = std::max(1, threads);
  s.work_per_image = work_per_image;
  batch = std::max<int64_t>(1, batch);
  plane = std::max<int64_t>(1, plane);
  const int64_t per_thread = (batch + s.threads - 1) / s.threads;
  const int64_t want = (kMinColumns + plane - 1) / plane;
  const int64_t cap = std::max<int64_t>(1, kMaxColumnFloats / std::max<int64_t>(1, rows * plane));
  int64_t g = std::clamp<int64_t>(std::min(want, cap), 1, per_thread);
  // Even out the groups: as many groups per thread as g asks for, then the smallest group size
  // that still covers the batch with that many.
  const int64_t per_thread_groups = (per_thread + g - 1) / g;
  g = (batch + s.threads * per_thread_groups - 1) / (s.threads * per_thread_groups);
  s.group = std::max<int64_t>(1, g);
  return s;
}

void add_partials(float* dst, const float* partials, int count, int64_t stride, int64_t n,
                  int threads) {
  if (count <= 0) return;
#pragma omp parallel for num_threads(threads) if (n * count >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    float s = 0.0f;
    for (int k = 0; k < count; ++k) s += partials[k * stride + i];
    dst[i] += s;
  }
}

ConvScratch conv_scratch(const ConvGeometry& g, int64_t batch, int64_t channels,
                         int64_t bias_channels, int threads) {
  ConvScratch l;
  const int64_t k = g.rows(), plane = g.plane();
  l.split = split_batch(batch, plane, k, channels * k * plane, threads);
  const int64_t cols = l.split.group * plane;
  l.off_buf = align_floats(k * cols);
  l.off_dw = l.off_buf + (l.split.group > 1 ? align_floats(channels * cols) : 0);
  l.off_db = l.off_dw + align_floats(channels * k);
  l.slice = l.off_db + align_floats(bias_channels);
  return l;
}

}  // namespace strata
