// The column-major GEMM (cuBLAS's convention) that computes Strata's row-major one:
//   C[M,N] = alpha op(A)[M,K] op(B)[K,N] + beta C     (row-major; leading dimensions lda, ldb, ldc)
// A row-major X[r, c] with leading dimension ld is, read column-major with the same ld, X^T[c, r].
// So the row-major product is the column-major C^T = op(B)^T op(A)^T:
//   cublasSgemm(handle, op(B), op(A), N, M, K, alpha, B, ldb, A, lda, beta, C, ldc)
// Pure host logic, tested against the CPU GEMM (tests/core/ops/gemm_plan_test.cpp), so that the
// CUDA dense and convolution ops call cuBLAS with operands that are right the first time.
#pragma once

#include <cstdint>

namespace strata {

struct ColumnMajorGemm {
  bool trans_first = false, trans_second = false;  // cuBLAS's transa, transb
  int64_t m = 0, n = 0, k = 0;                     // cuBLAS's m, n, k
  const float* first = nullptr;                    // cuBLAS's A (Strata's B)
  int64_t ld_first = 0;
  const float* second = nullptr;  // cuBLAS's B (Strata's A)
  int64_t ld_second = 0;
  float* c = nullptr;
  int64_t ldc = 0;
};

// The plan for gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc) of core/blas.h. Throws
// strata::Error when a leading dimension is smaller than its row (lda < K or M, ...) or a size is
// negative, naming which.
ColumnMajorGemm column_major_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                  const float* a, int64_t lda, const float* b, int64_t ldb,
                                  float* c, int64_t ldc);

}  // namespace strata
