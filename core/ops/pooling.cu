// maxpool2d and upsample2d on CUDA: one thread per output value forward, one per input value
// backward (each gathers its own gradient, so no atomics and the CPU's sums bit for bit); the
// bodies are core/ops/kernels/pooling.h.
#include "core/cuda/launch.cuh"
#include "core/ops/kernels/pooling.h"
#include "core/ops/pooling.h"

namespace strata {

void maxpool2d_forward(CudaBackend& be, const PoolDims& d, const float* x, float* y,
                       int32_t* argmax) {
  STRATA_GRID_STRIDE(be, d.planes * d.out_h * d.out_w, MaxPoolForwardBody{d, x, y, argmax});
}

void maxpool2d_backward(CudaBackend& be, const PoolDims& d, const float* dy, const int32_t* argmax,
                        float* dx) {
  STRATA_GRID_STRIDE(be, d.planes * d.h * d.w, MaxPoolBackwardBody{d, dy, argmax, dx});
}

void upsample2d_forward(CudaBackend& be, const UpsampleDims& d, const float* x, float* y) {
  STRATA_GRID_STRIDE(be, d.planes * d.h * d.scale_h * d.w * d.scale_w,
                     UpsampleForwardBody{d, x, y});
}

void upsample2d_backward(CudaBackend& be, const UpsampleDims& d, const float* dy, float* dx) {
  STRATA_GRID_STRIDE(be, d.planes * d.h * d.w, UpsampleBackwardBody{d, dy, dx});
}

}  // namespace strata
