// Launch geometry of the CUDA kernels, as host logic (tested on the CPU,
// tests/core/ops/kernels/launch_test.cpp).
//
// Elementwise kernels use a grid-stride loop: thread t of block b handles indices
// b * threads + t, then every blocks * threads further, so any n is covered by a grid of at most
// kMaxBlocks blocks (a grid of one block per 256 values would pass no limit either, but the
// capped grid keeps large buffers from queueing hundreds of thousands of tiny blocks). A body is
// a struct with `STRATA_HD void operator()(int64_t i) const` (core/ops/kernels/*.h): the same
// code runs in the CUDA kernel (core/cuda/launch.cuh) and, in the tests, on the CPU
// (tests/support/emulate_launch.h).
#pragma once

#include <algorithm>
#include <cstdint>

namespace strata {

struct Launch {
  uint32_t blocks = 0;   // 0: nothing to launch (n == 0)
  uint32_t threads = 0;  // per block
};

inline constexpr uint32_t kBlockThreads = 256;
inline constexpr uint32_t kMaxBlocks = 8192;  // far below gridDim.x's 2^31 - 1

// The grid of a grid-stride loop over n values.
inline Launch grid_stride_launch(int64_t n, uint32_t threads = kBlockThreads) {
  if (n <= 0) return {};
  const int64_t blocks = std::min<int64_t>((n + threads - 1) / threads, kMaxBlocks);
  return {static_cast<uint32_t>(blocks), threads};
}

}  // namespace strata
