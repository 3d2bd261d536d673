// bce_logits: binary cross-entropy on logits z with targets t in [0, 1], averaged over n values:
//   l(z, t) = max(z, 0) - z t + log(1 + exp(-|z|))   (= -t log s(z) - (1 - t) log(1 - s(z)))
//   dl/dz   = s(z) - t,  s = sigmoid.
// Both are evaluated so that no exp() overflows: exp is only ever taken of -|z| <= 0, so logits
// of any finite size give a finite loss and gradient (|z| = 1e4 gives l = |z| or 0 exactly).
// `loss` is one float in the backend's memory (a device scalar on a GPU). CPU: bce_logits.cpp.
// CUDA: bce_logits.cu - values one block's deterministic sum (the same bits every run), written on
// the device without a copy or a synchronisation; values and gradient within CUDA's exp of the
// CPU's.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

// Writes *loss = the mean of l and overwrites dz with its gradient (dl/dz / n).
void bce_logits_forward_backward(CpuBackend& be, int64_t n, const float* z, const float* t,
                                 float* dz, float* loss);
// Writes *loss = the mean of l.
void bce_logits_forward(CpuBackend& be, int64_t n, const float* z, const float* t, float* loss);
// Writes *mean = the mean of s(z) over n values, summed in double in index order (a GAN's D(x) and
// D(G(z)) for the log).
void sigmoid_mean(CpuBackend& be, int64_t n, const float* z, float* mean);

#if STRATA_WITH_CUDA
void bce_logits_forward_backward(CudaBackend& be, int64_t n, const float* z, const float* t,
                                 float* dz, float* loss);
void bce_logits_forward(CudaBackend& be, int64_t n, const float* z, const float* t, float* loss);
void sigmoid_mean(CudaBackend& be, int64_t n, const float* z, float* mean);
#endif

}  // namespace strata
