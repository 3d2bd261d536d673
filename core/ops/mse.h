// mse: mean squared error over n values, L = (1/n) sum_i (p_i - t_i)^2, dL/dp_i = 2 (p_i - t_i) /
// n. `loss` is one float in the backend's memory (a device scalar on a GPU). CPU: mse.cpp.
// CUDA: mse.cu - the value one block's deterministic sum (the same bits every run, within a
// float ulp of the CPU's), written on the device without a copy or a synchronisation; the
// gradient the CPU's bits.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

// Writes *loss = L and overwrites dpred with dL/dpred.
void mse_forward_backward(CpuBackend& be, int64_t n, const float* pred, const float* target,
                          float* dpred, float* loss);
// Writes *loss = L.
void mse_forward(CpuBackend& be, int64_t n, const float* pred, const float* target, float* loss);

#if STRATA_WITH_CUDA
void mse_forward_backward(CudaBackend& be, int64_t n, const float* pred, const float* target,
                          float* dpred, float* loss);
void mse_forward(CudaBackend& be, int64_t n, const float* pred, const float* target, float* loss);
#endif

}  // namespace strata
