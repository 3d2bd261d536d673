// Runs a CUDA kernel body on the CPU exactly as its launch would on a GPU: every (block, thread)
// of the launch geometry, each walking its grid-stride indices (core/ops/kernels/launch.h). The
// tests run the bodies this way against the CPU ops, so that a body's arithmetic and its
// coverage of the indices are checked without a GPU. Returns how many times each index was
// visited (each must be exactly once).
#pragma once

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

}  // namespace strata::test
