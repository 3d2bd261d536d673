// softmax_cross_entropy: logits z[N, K] with class indices y[N] (stored as floats):
//   l_n = log sum_k exp(z_nk) - z_{n,y_n},   L = (1/N) sum_n l_n,
//   dL/dz_nk = (softmax(z_n)_k - [k == y_n]) / N.
// The log-sum-exp subtracts the row maximum first, so no exp() overflows whatever the logits.
// The targets must already be valid (integers in [0, K)): the caller checks them
// (SoftmaxCrossEntropyLoss, core/losses/softmax_cross_entropy.cpp), so that the error can name
// the sample. `loss` is one float in the backend's memory (a device scalar on a GPU). CPU:
// softmax_cross_entropy.cpp. CUDA: softmax_cross_entropy.cu - one block, each thread taking whole
// rows, the loss its deterministic sum (the same bits every run) written on the device without a
// copy or a synchronisation; loss and gradient within CUDA's exp and log of the CPU's. A target
// outside [0, K) makes the loss NaN there (nothing is written outside its row).
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

// Writes *loss = L and overwrites dz with dL/dz.
void softmax_cross_entropy_forward_backward(CpuBackend& be, int64_t n, int64_t k, const float* z,
                                            const float* y, float* dz, float* loss);
// Writes *loss = L.
void softmax_cross_entropy_forward(CpuBackend& be, int64_t n, int64_t k, const float* z,
                                   const float* y, float* loss);

#if STRATA_WITH_CUDA
void softmax_cross_entropy_forward_backward(CudaBackend& be, int64_t n, int64_t k, const float* z,
                                            const float* y, float* dz, float* loss);
void softmax_cross_entropy_forward(CudaBackend& be, int64_t n, int64_t k, const float* z,
                                   const float* y, float* loss);
#endif

}  // namespace strata
