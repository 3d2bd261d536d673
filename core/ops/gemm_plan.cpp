#include "core/ops/gemm_plan.h"

#include "core/error.h"

namespace strata {

ColumnMajorGemm column_major_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                  const float* a, int64_t lda, const float* b, int64_t ldb,
                                  float* c, int64_t ldc) {
  STRATA_CHECK(m >= 0 && n >= 0 && k >= 0,
               "gemm: negative size (M " << m << ", N " << n << ", K " << k << ")");
  // Row-major rows: A is [M, K] (or [K, M] transposed), B is [K, N] (or [N, K]), C is [M, N].
  const int64_t a_row = trans_a ? m : k, b_row = trans_b ? k : n;
  STRATA_CHECK(lda >= a_row && lda >= 1, "gemm: lda " << lda << " is smaller than a row of A ("
                                                      << a_row
                                                      << (trans_a ? ", A transposed)" : ")"));
  STRATA_CHECK(ldb >= b_row && ldb >= 1, "gemm: ldb " << ldb << " is smaller than a row of B ("
                                                      << b_row
                                                      << (trans_b ? ", B transposed)" : ")"));
  STRATA_CHECK(ldc >= n && ldc >= 1,
               "gemm: ldc " << ldc << " is smaller than a row of C (" << n << ")");
  ColumnMajorGemm g;
  g.trans_first = trans_b;
  g.trans_second = trans_a;
  g.m = n;
  g.n = m;
  g.k = k;
  g.first = b;
  g.ld_first = ldb;
  g.second = a;
  g.ld_second = lda;
  g.c = c;
  g.ldc = ldc;
  return g;
}

}  // namespace strata
