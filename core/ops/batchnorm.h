// batchnorm: BatchNorm over [N, C] or [N, C, H, W] seen as [N, C, S] (S = H * W, or 1), per
// channel. The local ops do a whole forward or backward; the synchronised ones are its steps
// between the cross-rank sums of the global batch (core/layers/batchnorm_sync.cpp), computing
// exactly the same values from the same statistics. CPU: batchnorm.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

struct BatchNormArgs {
  int64_t n = 0, C = 0, S = 1;
  float momentum = 0.1f;
  double eps = 1e-5;
};

// The per-channel buffers of one layer. gamma/beta (and dgamma/dbeta) are null without affine.
struct BatchNormBuffers {
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float* running_mean = nullptr;
  float* running_var = nullptr;
  float* mean = nullptr;    // train mode: the batch's, written by forward for backward
  float* invstd = nullptr;  // train mode: 1 / sqrt(biased variance + eps)
};

// Train mode: normalises with the batch statistics (biased variance), writes mean and invstd,
// and updates the running statistics (unbiased variance, PyTorch's momentum); eval mode:
// normalises with the running statistics.
void batchnorm_forward(CpuBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                       bool train, const float* x, float* y);
// Accumulates dgamma and dbeta (when not null), overwrites dx (when not null): through the batch
// statistics in train mode, the running ones in eval mode.
void batchnorm_backward(CpuBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                        bool train, const float* x, const float* dy, float* dgamma, float* dbeta,
                        float* dx);

// Synchronised train mode over a global batch of M values per channel.
// 1. sums[c] = this rank's sum of channel c.
void batchnorm_sync_sums(CpuBackend& be, const BatchNormArgs& a, const float* x, float* sums);
// 2. mean = sums / M (the global sums); sq[c] = this rank's squared deviations about it.
void batchnorm_sync_deviations(CpuBackend& be, const BatchNormArgs& a, int64_t M, const float* sums,
                               const float* x, float* mean, float* sq);
// 3. From the global squared deviations: invstd, the running statistics and y.
void batchnorm_sync_normalize(CpuBackend& be, const BatchNormArgs& a, int64_t M,
                              const BatchNormBuffers& b, const float* sq, const float* x, float* y);
// Backward 1: dgamma += sum(dy * xhat), dbeta += sum(dy) (when not null, this rank's), and
// sums[c] = sum(dy), sums[C + c] = sum(dy * xhat) for the cross-rank sum.
void batchnorm_sync_grad_sums(CpuBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                              const float* x, const float* dy, float* dgamma, float* dbeta,
                              float* sums);
// Backward 2: dx from the global sums.
void batchnorm_sync_dx(CpuBackend& be, const BatchNormArgs& a, int64_t M, const BatchNormBuffers& b,
                       const float* sums, const float* x, const float* dy, float* dx);

#if STRATA_WITH_CUDA
// CUDA (batchnorm.cu, kernels in kernels/batchnorm.h): the same steps and formulas; each
// channel's sums in double in a fixed order (deterministic), so they and what follows from them
// agree with the CPU's to rounding, and what is computed from given statistics or sums is the
// CPU's bit for bit. No scratch needed.
void batchnorm_forward(CudaBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                       bool train, const float* x, float* y);
void batchnorm_backward(CudaBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                        bool train, const float* x, const float* dy, float* dgamma, float* dbeta,
                        float* dx);
void batchnorm_sync_sums(CudaBackend& be, const BatchNormArgs& a, const float* x, float* sums);
void batchnorm_sync_deviations(CudaBackend& be, const BatchNormArgs& a, int64_t M,
                               const float* sums, const float* x, float* mean, float* sq);
void batchnorm_sync_normalize(CudaBackend& be, const BatchNormArgs& a, int64_t M,
                              const BatchNormBuffers& b, const float* sq, const float* x, float* y);
void batchnorm_sync_grad_sums(CudaBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                              const float* x, const float* dy, float* dgamma, float* dbeta,
                              float* sums);
void batchnorm_sync_dx(CudaBackend& be, const BatchNormArgs& a, int64_t M,
                       const BatchNormBuffers& b, const float* sums, const float* x,
                       const float* dy, float* dx);
#endif

}  // namespace strata
