// Row-major single-precision GEMM through OpenBLAS (cblas):
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
// with op(X) = X or X^T. Called inside an OpenMP parallel region it runs on the calling thread
// (Strata links OpenBLAS's OpenMP build, so BLAS and our loops share one thread pool).
#pragma once

#include <cstdint>

namespace strata {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// OpenBLAS chooses its kernels when it is loaded. Releases older than the CPU fall back to
// generic SSE3 kernels ("Prescott") on CPUs they do not know - Debian 12's 0.3.21 on Sapphire and
// Emerald Rapids Xeons - which makes every GEMM 3-4x slower. In that case, and only when the
// user has not set OPENBLAS_CORETYPE, this names the kernel family the CPU does support
// ("SkylakeX" for AVX-512, "Haswell" for AVX2+FMA); otherwise it returns nullptr. The CLI then
// sets OPENBLAS_CORETYPE and re-executes itself once, so OpenBLAS loads the right kernels.
const char* blas_preferred_coretype();
// The kernel family OpenBLAS runs ("SkylakeX", "Haswell", "Prescott"...).
const char* blas_coretype();

}  // namespace strata
