// The deterministic sum of the CUDA reduction kernels, and its exact host mirror.
//
// One block of kSumThreads threads sums term(i) for i < n: thread t adds, in double, terms t,
// t + kSumThreads, t + 2 kSumThreads, ... in that order; then the block halves its partials
// pairwise (partial[t] += partial[t + s] for s = kSumThreads / 2, ..., 1), so thread 0 ends with
// the sum. The order of every addition is fixed by n alone, so two runs (and any number of
// ranks) give the same bits. The CUDA side is block_sum() in core/cuda/block_sum.cuh; the host
// side below performs the same additions in the same order, so that a kernel body's value can be
// checked bit for bit on the CPU (tests/core/ops/kernels/).
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace strata {

inline constexpr int kSumThreads = 256;  // a power of two

// What thread t of the block adds up (before the pairwise halving).
template <class Term>  // double term(int64_t i)
STRATA_HD double block_sum_partial(int t, int64_t n, const Term& term) {
  double s = 0.0;
  for (int64_t i = t; i < n; i += kSumThreads) s += term(i);
  return s;
}

// The host mirror of block_sum: the same additions in the same order.
template <class Term>
double block_sum_on_host(int64_t n, const Term& term) {
  double partial[kSumThreads];
  for (int t = 0; t < kSumThreads; ++t) partial[t] = block_sum_partial(t, n, term);
  for (int s = kSumThreads / 2; s > 0; s /= 2)
    for (int t = 0; t < s; ++t) partial[t] += partial[t + s];
  return partial[0];
}

}  // namespace strata
