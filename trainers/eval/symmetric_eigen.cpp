// Symmetric eigendecomposition through LAPACK's dsyev (OpenBLAS ships LAPACK), and the PSD
// square roots built on it (trainers/eval/symmetric_eigen.h).
#include "trainers/eval/symmetric_eigen.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

// defines: dsyev_ (LAPACK, column-major, Fortran calling convention)
extern "C" void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                       double* w, double* work, const int* lwork, int* info);

namespace strata {

SymmetricEigen symmetric_eigen(const std::vector<double>& a, int64_t n) {
  STRATA_CHECK(n > 0 && static_cast<int64_t>(a.size()) == n * n,
               "symmetric_eigen: expected " << n << " x " << n << " values, got " << a.size());
  for (double v : a)
    STRATA_CHECK(std::isfinite(v), "symmetric_eigen: the matrix holds a non-finite value " << v);
  SymmetricEigen e;
  e.vectors = a;  // symmetric: row-major == column-major
  e.values.assign(n, 0.0);
  const int ni = static_cast<int>(n);
  int info = 0, lwork = -1;
  double query = 0;
  dsyev_("V", "U", &ni, e.vectors.data(), &ni, e.values.data(), &query, &lwork, &info);
  STRATA_CHECK(info == 0, "LAPACK dsyev workspace query failed (info " << info << ")");
  lwork = std::max(1, static_cast<int>(query));
  std::vector<double> work(lwork);
  dsyev_("V", "U", &ni, e.vectors.data(), &ni, e.values.data(), work.data(), &lwork, &info);
  STRATA_CHECK(info == 0, "LAPACK dsyev did not converge on a " << n << " x " << n
                                                                << " matrix (info " << info << ")");
  // dsyev leaves eigenvector j in column j of a column-major array, i.e. row j of our row-major
  // view: transpose so that column j (row-major) is eigenvector j.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) std::swap(e.vectors[i * n + j], e.vectors[j * n + i]);
  return e;
}

std::vector<double> psd_sqrt(const std::vector<double>& a, int64_t n) {
  const SymmetricEigen e = symmetric_eigen(a, n);
  std::vector<double> s(n);
  for (int64_t k = 0; k < n; ++k) s[k] = std::sqrt(std::max(e.values[k], 0.0));
  std::vector<double> r(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j) {
      double v = 0;
      for (int64_t k = 0; k < n; ++k) v += e.vectors[i * n + k] * s[k] * e.vectors[j * n + k];
      r[i * n + j] = r[j * n + i] = v;
    }
  return r;
}

double psd_sqrt_trace(const std::vector<double>& a, int64_t n) {
  const SymmetricEigen e = symmetric_eigen(a, n);
  double t = 0;
  for (double v : e.values) t += std::sqrt(std::max(v, 0.0));
  return t;
}

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int64_t n) {
  std::vector<double> c(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k) {
      const double aik = a[i * n + k];
      for (int64_t j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  return c;
}

}  // namespace strata
