// sparsity on a GPU: column sums and means with one thread per unit (its rows in order, in
// double: the CPU's values bit for bit), values by one block's deterministic sum written to
// *value on the device, gradients by grid-stride kernels (bodies: core/ops/kernels/sparsity.h).
#include "core/cuda/launch.cuh"
#include "core/ops/kernels/sparsity.h"
#include "core/ops/sparsity.h"

namespace strata {

void sparsity_l1_value(CudaBackend& be, const SparsityArgs& a, const float* x, float* value) {
  STRATA_SUM_TO_SCALAR(be, a.n * a.j, value, AbsTerm{x}, L1Finish{a.weight, a.n});
}

void sparsity_l1_add_grad(CudaBackend& be, const SparsityArgs& a, const float* x, float* dx) {
  STRATA_GRID_STRIDE(be, a.n * a.j, L1AddGradBody{x, dx, sparsity_grad_scale(a.weight, a.n)});
}

void sparsity_column_means(CudaBackend& be, int64_t n, int64_t j, const float* x, float* rho_hat) {
  STRATA_GRID_STRIDE(be, j, ColumnMeansBody{x, n, j, rho_hat});
}

void sparsity_column_sums(CudaBackend& be, int64_t n, int64_t j, const float* x, float* sums) {
  STRATA_GRID_STRIDE(be, j, ColumnSumsBody{x, n, j, sums});
}

void sparsity_means_from_sums(CudaBackend& be, int64_t j, int64_t count, float* sums) {
  STRATA_GRID_STRIDE(be, j, MeansFromSumsBody{sums, static_cast<double>(count)});
}

void sparsity_kl_value(CudaBackend& be, const SparsityArgs& a, const float* rho_hat, float* value) {
  STRATA_SUM_TO_SCALAR(be, a.j, value, KlTerm{rho_hat, a.rho}, KlFinish{a.weight});
}

// Two kernels in stream order: the per-unit gradient in place of rho_hat, then its rows.
void sparsity_kl_add_grad(CudaBackend& be, const SparsityArgs& a, float* rho_hat, float* dx) {
  STRATA_GRID_STRIDE(be, a.j, KlCoefBody{rho_hat, sparsity_grad_scale(a.weight, a.n), a.rho});
  STRATA_GRID_STRIDE(be, a.n * a.j, KlAddGradBody{rho_hat, dx, a.j});
}

}  // namespace strata
