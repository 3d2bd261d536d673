// sparsity: the sparsity penalties on one layer's activations a[N, J] (N samples of J units;
// SparsityPenalty, core/losses/penalties.h), with weight w:
//   KL: P = w sum_j KL(rho || rh_j),  rh_j = clamp(mean_n a[n, j], 1e-6, 1 - 1e-6)
//       dP/da[n, j] = (w / N) (-rho / rh_j + (1 - rho) / (1 - rh_j))
//   L1: P = (w / N) sum_{n, j} |a[n, j]|,   dP/da[n, j] = (w / N) sign(a[n, j])
// The KL ops take the means rh as a buffer of J floats, so that the caller can compute them over
// the global batch of several ranks (column sums, a cross-rank sum, then the means). The clamp on
// rh only guards the logarithms: the KL gradient is taken at the clamped mean (not zeroed there),
// so a unit whose mean activation has collapsed to 0 or 1 is still pushed back. `value` is one
// float in the backend's memory (a device scalar on a GPU). CPU: sparsity.cpp. CUDA: sparsity.cu -
// column sums and means, and every gradient, the CPU's bits; values one block's deterministic sum
// (the same bits every run) written on the device without a copy or a synchronisation, L1 within a
// float ulp of the CPU's, KL within CUDA's log.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

struct SparsityArgs {
  int64_t n = 0, j = 0;  // samples (this rank's) and units per sample
  float rho = 0.05f;     // KL target rate
  float weight = 1e-3f;
};

// L1: *value = P.
void sparsity_l1_value(CpuBackend& be, const SparsityArgs& a, const float* x, float* value);
// L1: dx += dP/da.
void sparsity_l1_add_grad(CpuBackend& be, const SparsityArgs& a, const float* x, float* dx);

// rho_hat[j] = clamp(mean_n x[n, j]) over these n samples.
void sparsity_column_means(CpuBackend& be, int64_t n, int64_t j, const float* x, float* rho_hat);
// sums[j] = sum_n x[n, j] (unclamped), for a cross-rank sum.
void sparsity_column_sums(CpuBackend& be, int64_t n, int64_t j, const float* x, float* sums);
// In place: sums[j] (the column sums of `count` samples) -> rho_hat[j] = clamp(sums[j] / count).
void sparsity_means_from_sums(CpuBackend& be, int64_t j, int64_t count, float* sums);
// KL: *value = P from the means rho_hat.
void sparsity_kl_value(CpuBackend& be, const SparsityArgs& a, const float* rho_hat, float* value);
// KL: dx += dP/da from the means rho_hat, with N = a.n; rho_hat is overwritten with the per-unit
// gradient.
void sparsity_kl_add_grad(CpuBackend& be, const SparsityArgs& a, float* rho_hat, float* dx);

#if STRATA_WITH_CUDA
void sparsity_l1_value(CudaBackend& be, const SparsityArgs& a, const float* x, float* value);
void sparsity_l1_add_grad(CudaBackend& be, const SparsityArgs& a, const float* x, float* dx);
void sparsity_column_means(CudaBackend& be, int64_t n, int64_t j, const float* x, float* rho_hat);
void sparsity_column_sums(CudaBackend& be, int64_t n, int64_t j, const float* x, float* sums);
void sparsity_means_from_sums(CudaBackend& be, int64_t j, int64_t count, float* sums);
void sparsity_kl_value(CudaBackend& be, const SparsityArgs& a, const float* rho_hat, float* value);
void sparsity_kl_add_grad(CudaBackend& be, const SparsityArgs& a, float* rho_hat, float* dx);
#endif

}  // namespace strata
