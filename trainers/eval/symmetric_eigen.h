// Eigenvalues and eigenvectors of a real symmetric matrix in double precision (LAPACK dsyev from
// OpenBLAS), and the matrix functions the Frechet distance needs (square roots of symmetric
// positive semi-definite matrices).
//
// Matrices are dense, row-major, n x n, in std::vector<double>; a symmetric matrix reads the same
// in row- and column-major order, which is why LAPACK's column-major routine can take it as is.
#pragma once

#include <cstdint>
#include <vector>

namespace strata {

struct SymmetricEigen {
  std::vector<double> values;   // n eigenvalues, ascending
  std::vector<double> vectors;  // n x n, row-major: column j is the eigenvector of values[j]
};

// a: n x n symmetric (only its values are read; it is not changed). Throws when LAPACK fails to
// converge or a value is not finite.
SymmetricEigen symmetric_eigen(const std::vector<double>& a, int64_t n);

// V diag(f(values)) V^T with negative eigenvalues (round-off of a PSD matrix) clamped to 0 and
// f = sqrt: the PSD square root of a.
std::vector<double> psd_sqrt(const std::vector<double>& a, int64_t n);

// Sum of sqrt(max(lambda, 0)) over the eigenvalues of symmetric a: tr(a^1/2).
double psd_sqrt_trace(const std::vector<double>& a, int64_t n);

// c = a b for n x n row-major matrices.
std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int64_t n);

}  // namespace strata
