#include "core/cuda/launch.cuh"
#include "core/ops/adam.h"
#include "core/ops/kernels/optim.h"

namespace strata {

namespace {

// The update, from the step's scalars in device memory, read once per thread.
__global__ void adam_update_kernel(const AdamStepArgs* args, float* p, const float* g, float* m,
                                   float* v, int64_t n) {
  const AdamUpdateBody body{*args, p, g, m, v};
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    body(i);
}

}  // namespace

void adam_step(CudaBackend& be, const AdamHyper& h, const float* lr, float* step, float* workspace,
               float* params, const float* grads, float* m, float* v, int64_t n) {
  auto* args = reinterpret_cast<AdamStepArgs*>(workspace);
  // One thread advances the count and computes the scalars; the update, queued after it on the
  // same stream, reads them.
  STRATA_GRID_STRIDE(be, 1, AdamScalarsBody{h, lr, step, args});
  const Launch l = grid_stride_launch(n);
  if (l.blocks == 0) return;
  adam_update_kernel<<<l.blocks, l.threads, 0, cuda::stream_of(be)>>>(args, params, grads, m, v, n);
  STRATA_LAUNCH_CHECK("adam_update_kernel");
}

}  // namespace strata
