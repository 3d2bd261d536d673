// dense: y[N, out] = x[N, in] W^T + b, W stored [out, in] (PyTorch's layout). CPU: dense.cpp
// (OpenBLAS GEMMs).
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

struct DenseDims {
  int64_t batch = 0, in = 0, out = 0;
};

// b may be null (no bias).
void dense_forward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                   const float* b, float* y);
// Accumulates dW += dy^T x and db += column sums of dy when dw (db) is not null; overwrites
// dx = dy W when dx is not null.
void dense_backward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx);

#if STRATA_WITH_CUDA
void dense_forward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                   const float* b, float* y);
void dense_backward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx);
#endif

}  // namespace strata
