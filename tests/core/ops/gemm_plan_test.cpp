// column_major_gemm: the plan, run by a plain column-major GEMM with cuBLAS's semantics, gives
// what Strata's row-major gemm (OpenBLAS) gives, for every pair of transposes, odd sizes and
// leading dimensions wider than the rows; and its checks name a leading dimension that is too
// small.
#include "core/ops/gemm_plan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/blas.h"
#include "core/error.h"

namespace strata {
namespace {

// cublasSgemm's definition, on the host: column-major, op(X) = X or X^T.
void reference_column_major(const ColumnMajorGemm& g, float alpha, float beta) {
  for (int64_t j = 0; j < g.n; ++j) {
    for (int64_t i = 0; i < g.m; ++i) {
      double s = 0.0;
      for (int64_t l = 0; l < g.k; ++l) {
        const float x = g.trans_first ? g.first[l + i * g.ld_first] : g.first[i + l * g.ld_first];
        const float y =
            g.trans_second ? g.second[j + l * g.ld_second] : g.second[l + j * g.ld_second];
        s += static_cast<double>(x) * y;
      }
      float& c = g.c[i + j * g.ldc];
      c = static_cast<float>(alpha * s + beta * static_cast<double>(c));
    }
  }
}

std::vector<float> values(int64_t n, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>((i * 37 + 11) % 23 - 11);
  return v;
}

struct Case {
  int64_t m, n, k, pad;  // pad: extra columns in every leading dimension
};

TEST(ColumnMajorGemm, MatchesTheRowMajorGemmForEveryTranspose) {
  for (const Case cs : {Case{1, 1, 1, 0}, Case{3, 5, 7, 0}, Case{7, 3, 5, 2}, Case{16, 9, 1, 3},
                        Case{1, 13, 6, 1}, Case{33, 17, 29, 5}}) {
    for (const bool ta : {false, true}) {
      for (const bool tb : {false, true}) {
        const int64_t lda = (ta ? cs.m : cs.k) + cs.pad, ldb = (tb ? cs.k : cs.n) + cs.pad;
        const int64_t ldc = cs.n + cs.pad;
        const std::vector<float> a = values((ta ? cs.k : cs.m) * lda, 0.25f);
        const std::vector<float> b = values((tb ? cs.n : cs.k) * ldb, -0.5f);
        std::vector<float> want = values(cs.m * ldc, 1.0f), got = want;
        gemm(ta, tb, cs.m, cs.n, cs.k, 0.75f, a.data(), lda, b.data(), ldb, 0.5f, want.data(), ldc);
        const ColumnMajorGemm g = column_major_gemm(ta, tb, cs.m, cs.n, cs.k, a.data(), lda,
                                                    b.data(), ldb, got.data(), ldc);
        reference_column_major(g, 0.75f, 0.5f);
        for (size_t i = 0; i < want.size(); ++i)
          ASSERT_NEAR(got[i], want[i], 1e-4f * std::max(1.0f, std::fabs(want[i])))
              << "M " << cs.m << " N " << cs.n << " K " << cs.k << " pad " << cs.pad << " ta " << ta
              << " tb " << tb << " at " << i;
      }
    }
  }
}

std::string error_of(bool ta, bool tb, int64_t lda, int64_t ldb, int64_t ldc) {
  try {
    column_major_gemm(ta, tb, 4, 5, 6, nullptr, lda, nullptr, ldb, nullptr, ldc);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ColumnMajorGemm, RefusesLeadingDimensionsSmallerThanARow) {
  EXPECT_NE(error_of(false, false, 5, 5, 5).find("lda 5 is smaller than a row of A (6)"),
            std::string::npos);
  EXPECT_NE(
      error_of(true, false, 3, 5, 5).find("lda 3 is smaller than a row of A (4, A transposed)"),
      std::string::npos);
  EXPECT_NE(error_of(false, false, 6, 4, 5).find("ldb 4 is smaller than a row of B (5)"),
            std::string::npos);
  EXPECT_NE(
      error_of(false, true, 6, 5, 5).find("ldb 5 is smaller than a row of B (6, B transposed)"),
      std::string::npos);
  EXPECT_NE(error_of(false, false, 6, 5, 4).find("ldc 4 is smaller than a row of C (5)"),
            std::string::npos);
  EXPECT_EQ(error_of(true, true, 4, 6, 5), "(no error)");
}

}  // namespace
}  // namespace strata
