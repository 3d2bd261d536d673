// Row-major single-precision GEMM through OpenBLAS (cblas):
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
// with op(X) = X or X^T. Called inside an OpenMP parallel region it runs on the calling thread
// (Strata links OpenBLAS's OpenMP build, so BLAS and our loops share one thread pool).
#pragma once

#include <cstdint>

namespace strata {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// The number of threads Strata's CPU kernels use (OpenMP and OpenBLAS).
int cpu_threads();
void set_cpu_threads(int n);

}  // namespace strata
