// Runs a CUDA kernel body on the CPU exactly as its launch would on a GPU: every (block, thread)
// of the launch geometry, each walking its grid-stride indices (core/ops/kernels/launch.h). The
// tests run the bodies this way against the CPU ops, so that a body's arithmetic and its
// coverage of the indices are checked without a GPU. emulate_grid_stride returns how many times
// each index was visited (each must be exactly once: each_once).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/ops/kernels/launch.h"

namespace strata::test {

template <class Body>
std::vector<int> emulate_grid_stride(int64_t n, const Body& body) {
  std::vector<int> visits(static_cast<size_t>(n > 0 ? n : 0), 0);
  const Launch l = grid_stride_launch(n);
  const int64_t stride = static_cast<int64_t>(l.blocks) * l.threads;
  for (uint32_t b = 0; b < l.blocks; ++b)
    for (uint32_t t = 0; t < l.threads; ++t)
      for (int64_t i = static_cast<int64_t>(b) * l.threads + t; i < n; i += stride) {
        body(i);
        ++visits[static_cast<size_t>(i)];
      }
  return visits;
}

// Whether every index was visited exactly once; names the first that was not.
inline ::testing::AssertionResult each_once(const std::vector<int>& visits) {
  for (size_t i = 0; i < visits.size(); ++i)
    if (visits[i] != 1)
      return ::testing::AssertionFailure()
             << "index " << i << " of " << visits.size() << " visited " << visits[i] << " times";
  return ::testing::AssertionSuccess();
}

// The body run over n indices as its launch would run it, each index exactly once.
template <class Body>
::testing::AssertionResult emulate_each_once(int64_t n, const Body& body) {
  return each_once(emulate_grid_stride(n, body));
}

}  // namespace strata::test
