#include "core/cuda/launch.cuh"
#include "core/ops/kernels/optim.h"
#include "core/ops/sgd.h"

namespace strata {

namespace {

// The update, its learning rate read from device memory once per thread.
__global__ void sgd_update_kernel(SgdHyper h, const float* lr, float* p, const float* g, float* v,
                                  int64_t n) {
  const SgdUpdateBody body{sgd_step_args(h, *lr), p, g, v};
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    body(i);
}

}  // namespace

void sgd_step(CudaBackend& be, const SgdHyper& h, const float* lr, float* step, float* params,
              const float* grads, float* velocity, int64_t n) {
  STRATA_GRID_STRIDE(be, 1, SgdCountBody{step});
  const Launch l = grid_stride_launch(n);
  if (l.blocks == 0) return;
  sgd_update_kernel<<<l.blocks, l.threads, 0, cuda::stream_of(be)>>>(h, lr, params, grads, velocity,
                                                                     n);
  STRATA_LAUNCH_CHECK("sgd_update_kernel");
}

}  // namespace strata
