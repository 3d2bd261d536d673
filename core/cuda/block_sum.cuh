// block_sum: the deterministic block-wide sum of core/ops/kernels/block_sum.h on the GPU. Call it
// from a kernel launched with kSumThreads threads per block; every thread of the block must call
// it (it synchronises the block) and gets the sum. A kernel may call it several times.
#pragma once

#include <cstdint>

#include "core/ops/kernels/block_sum.h"

namespace strata::cuda {

template <class Term>
__device__ double block_sum(int64_t n, const Term& term) {
  __shared__ double partial[kSumThreads];
  const int t = static_cast<int>(threadIdx.x);
  partial[t] = block_sum_partial(t, n, term);
  __syncthreads();
  for (int s = kSumThreads / 2; s > 0; s /= 2) {
    if (t < s) partial[t] += partial[t + s];
    __syncthreads();
  }
  const double sum = partial[0];
  __syncthreads();  // partial is reused by the next call
  return sum;
}

}  // namespace strata::cuda
