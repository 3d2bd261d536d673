// weight_decay on a GPU: the value by one kernel per kDecayBatch parameters - one block summing
// each parameter's squares in turn (block_sum's order) and the parameters in list order, in
// double, thread 0 writing (the first launch) or adding to *value on the device - then g += lambda
// w by a grid-stride kernel per parameter (bodies: core/ops/kernels/losses.h).
#include "core/cuda/block_sum.cuh"
#include "core/cuda/launch.cuh"
#include "core/ops/kernels/losses.h"
#include "core/ops/weight_decay.h"

namespace strata {

namespace {

// The loop is unrolled so that b's arrays are read at fixed offsets (a kernel argument indexed
// at run time would be copied to local memory).
__global__ void decay_value_kernel(DecayBatch b, float lambda, bool add, float* value) {
  double sum = 0.0;
#pragma unroll
  for (int k = 0; k < kDecayBatch; ++k)
    if (k < b.count) sum += cuda::block_sum(b.n[k], SquareTerm{b.w[k]});
  if (threadIdx.x == 0) {
    const float v = decay_value(lambda, sum);
    *value = add ? *value + v : v;
  }
}

}  // namespace

void l2_weight_decay(CudaBackend& be, float lambda, std::span<const DecayedParam> params,
                     float* value) {
  for (size_t first = 0; decay_batch_starts(first, params.size()); first += kDecayBatch) {
    decay_value_kernel<<<1, kSumThreads, 0, cuda::stream_of(be)>>>(decay_batch(params, first),
                                                                   lambda, first > 0, value);
    STRATA_LAUNCH_CHECK("decay_value_kernel");
  }
  for (const DecayedParam& p : params) STRATA_GRID_STRIDE(be, p.n, DecayGradBody{p.w, p.g, lambda});
}

}  // namespace strata
