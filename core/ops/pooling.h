// maxpool2d (the argmax of each window kept for the backward) and upsample2d (nearest
// neighbour, integer scales), NCHW. CPU: pooling.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

struct PoolDims {
  int64_t planes = 0;  // batch * channels
  int64_t h = 0, w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 2, kernel_w = 2, stride_h = 2, stride_w = 2, pad_h = 0, pad_w = 0;
};

// argmax: planes * out_h * out_w indices within each input plane (the first maximum; NaN wins).
void maxpool2d_forward(CpuBackend& be, const PoolDims& d, const float* x, float* y,
                       int32_t* argmax);
// Overwrites dx with dy routed to each window's argmax.
void maxpool2d_backward(CpuBackend& be, const PoolDims& d, const float* dy, const int32_t* argmax,
                        float* dx);

struct UpsampleDims {
  int64_t planes = 0, h = 0, w = 0, scale_h = 2, scale_w = 2;
};

void upsample2d_forward(CpuBackend& be, const UpsampleDims& d, const float* x, float* y);
// dx[i, j] = the sum of dy over the block that copied x[i, j].
void upsample2d_backward(CpuBackend& be, const UpsampleDims& d, const float* dy, float* dx);

#if STRATA_WITH_CUDA
// CUDA (pooling.cu, kernels in kernels/pooling.h): the CPU's values bit for bit; each backward
// gathers per input value (no atomics), adding in the CPU's order. maxpool2d_backward takes the
// argmax of maxpool2d_forward with the same dims: it looks for each input only in the windows
// that hold it.
void maxpool2d_forward(CudaBackend& be, const PoolDims& d, const float* x, float* y,
                       int32_t* argmax);
void maxpool2d_backward(CudaBackend& be, const PoolDims& d, const float* dy, const int32_t* argmax,
                        float* dx);
void upsample2d_forward(CudaBackend& be, const UpsampleDims& d, const float* x, float* y);
void upsample2d_backward(CudaBackend& be, const UpsampleDims& d, const float* dy, float* dx);
#endif

}  // namespace strata
