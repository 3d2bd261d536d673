// Elementwise arithmetic on flat buffers: scaling a gradient, adding a scaled one. The result
// of each value does not depend on the thread count. CPU: elementwise.cpp; CUDA: elementwise.cu.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

// x *= s over n values.
void scale(CpuBackend& be, float* x, int64_t n, float s);
// y += a * x over n values.
void axpy(CpuBackend& be, float a, const float* x, float* y, int64_t n);

#if STRATA_WITH_CUDA
void scale(CudaBackend& be, float* x, int64_t n, float s);
void axpy(CudaBackend& be, float a, const float* x, float* y, int64_t n);
#endif

}  // namespace strata
