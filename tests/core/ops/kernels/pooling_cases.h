// The poolings and upsamplings the pooling tests run (host:
// tests/core/ops/kernels/pooling_test.cpp, the CUDA kernel bodies; GPU:
// tests/core/gpu/pooling_gpu_test.cpp, the CUDA ops): typical layer sizes (no benchmark model
// pools, bench/MODELS.md) and edge shapes, with the names the tests' messages give them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/pooling.h"

namespace strata::test {

// planes x h x w pooled by kh x kw windows, strides sh x sw, padding ph x pw (the layer's output
// size).
inline PoolDims pool(int64_t planes, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh,
                     int64_t sw, int64_t ph, int64_t pw) {
  return PoolDims{.planes = planes,
                  .h = h,
                  .w = w,
                  .out_h = (h + 2 * ph - kh) / sh + 1,
                  .out_w = (w + 2 * pw - kw) / sw + 1,
                  .kernel_h = kh,
                  .kernel_w = kw,
                  .stride_h = sh,
                  .stride_w = sw,
                  .pad_h = ph,
                  .pad_w = pw};
}

inline std::string name(const PoolDims& d) {
  return std::to_string(d.planes) + "x" + std::to_string(d.h) + "x" + std::to_string(d.w) + " k" +
         std::to_string(d.kernel_h) + "x" + std::to_string(d.kernel_w) + " s" +
         std::to_string(d.stride_h) + "x" + std::to_string(d.stride_w) + " p" +
         std::to_string(d.pad_h) + "x" + std::to_string(d.pad_w);
}

// Max poolings: two typical layers, 2x2 / 2 on 64x28x28 at `batch` and 3x3 / 2 pad 1
// (overlapping windows) on 64x32x32 at batch / 2, then edge shapes.
inline std::vector<PoolDims> pool_cases(int64_t batch) {
  return {
      pool(batch * 64, 28, 28, 2, 2, 2, 2, 0, 0),
      pool(batch / 2 * 64, 32, 32, 3, 3, 2, 2, 1, 1),
      pool(3 * 5, 7, 9, 3, 3, 1, 1, 1, 1),    // stride 1: up to 9 windows per input, batch 3
      pool(1, 5, 5, 2, 3, 1, 2, 1, 1),        // non-square kernel and stride, batch 1
      pool(3 * 2, 11, 13, 5, 5, 3, 2, 2, 2),  // odd sizes, large overlapping windows
      pool(2, 9, 8, 2, 2, 3, 3, 0, 0),        // stride > kernel: inputs in no window
      pool(1, 1, 1, 1, 1, 1, 1, 0, 0),        // one value
      pool(4, 6, 6, 6, 6, 1, 1, 3, 3),        // kernel the size of the plane, pad half
  };
}

// Several outputs picking the same input: 5x5 windows at stride 1 over two 9x9 planes, x 0 but
// for the centre of plane 0 (the maximum of all 25 windows holding it) and two corners of plane
// 1, and a dy whose float sums depend on the order of addition (magnitudes 1e8 apart).
struct OverlappingPicks {
  PoolDims d = pool(2, 9, 9, 5, 5, 1, 1, 2, 2);
  int64_t centre = 4 * 9 + 4;  // the input of plane 0 every window holding it picks
  std::vector<float> x, dy;

  OverlappingPicks() {
    x.assign(static_cast<size_t>(d.planes * d.h * d.w), 0.0f);
    x[centre] = 1.0f;
    x[81 + 0] = x[81 + 80] = 1.0f;
    dy.resize(static_cast<size_t>(d.planes * d.out_h * d.out_w));
    for (size_t k = 0; k < dy.size(); ++k)
      dy[k] = (k % 3 == 0) ? 1e8f : (k % 3 == 1 ? 1.0f : -1e8f);
  }
};

inline std::vector<UpsampleDims> upsample_cases() {
  return {
      {.planes = 256 * 128, .h = 7, .w = 7, .scale_h = 2, .scale_w = 2},  // 7x7 -> 14x14
      {.planes = 128 * 64, .h = 16, .w = 16, .scale_h = 2, .scale_w = 2},
      {.planes = 3 * 5, .h = 3, .w = 5, .scale_h = 3, .scale_w = 2},
      {.planes = 1, .h = 1, .w = 1, .scale_h = 1, .scale_w = 4},
      {.planes = 2, .h = 5, .w = 3, .scale_h = 1, .scale_w = 1},
  };
}

inline std::string name(const UpsampleDims& d) {
  return std::to_string(d.planes) + "x" + std::to_string(d.h) + "x" + std::to_string(d.w) + " by " +
         std::to_string(d.scale_h) + "x" + std::to_string(d.scale_w);
}

}  // namespace strata::test
