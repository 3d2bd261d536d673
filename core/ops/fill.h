// fill: every value of a buffer set to one value (zeroing gradients). CPU: fill.cpp; CUDA: fill.cu.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

void fill(CpuBackend& be, float* data, int64_t n, float value);

#if STRATA_WITH_CUDA
void fill(CudaBackend& be, float* data, int64_t n, float value);
#endif

}  // namespace strata
