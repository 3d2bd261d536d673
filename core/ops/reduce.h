// Internal to the CPU ops: a deterministic parallel sum for loss and penalty values.
//
// The range [0, n) is cut into a fixed number of chunks (independent of the thread count), each
// chunk is summed in double by `chunk(begin, end)`, and the chunk sums are added in order. The
// result is therefore the same bit for bit whatever OMP_NUM_THREADS is, and the same on every
// rank. It does depend on whether the range is chunked at all (below `parallel_min` it is one
// chunk), so the threshold is part of the values: kParallelMin (core/cpu_threads.h). `chunk` may
// also write per-element outputs (a gradient) for its range, which fuses the value and the
// gradient into one pass. Nothing is allocated.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/cpu_threads.h"

namespace strata::detail {

template <class Chunk>  // double chunk(int64_t begin, int64_t end)
double chunked_sum(int64_t n, const Chunk& chunk, int64_t parallel_min = kParallelMin) {
  if (n < parallel_min) return n > 0 ? chunk(0, n) : 0.0;
  constexpr int kChunks = 64;
  double partial[kChunks];
  const int64_t per = (n + kChunks - 1) / kChunks;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < kChunks; ++c) {
    const int64_t b = std::min<int64_t>(n, c * per), e = std::min<int64_t>(n, b + per);
    partial[c] = b < e ? chunk(b, e) : 0.0;
  }
  double s = 0.0;
  for (int c = 0; c < kChunks; ++c) s += partial[c];
  return s;
}

}  // namespace strata::detail
