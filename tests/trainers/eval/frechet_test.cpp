// The Frechet distance against closed forms, the symmetric eigensolver against a known matrix,
// and the batch-merged feature statistics against a direct computation.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"
#include "trainers/eval/frechet.h"
#include "trainers/eval/symmetric_eigen.h"

namespace strata {
namespace {

std::vector<double> identity(int64_t n, double scale = 1.0) {
  std::vector<double> m(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) m[i * n + i] = scale;
  return m;
}

// A random symmetric positive definite matrix: A A^T / n + 0.1 I.
std::vector<double> random_spd(int64_t n, uint64_t key) {
  RandomStream rng(key, RngPurpose::kTest, 0, 0, 0);
  std::vector<double> a(n * n);
  for (double& v : a) v = rng.normal();
  std::vector<double> s(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t k = 0; k < n; ++k) s[i * n + j] += a[i * n + k] * a[j * n + k];
      s[i * n + j] = s[i * n + j] / n + (i == j ? 0.1 : 0.0);
    }
  return s;
}

TEST(SymmetricEigen, KnownMatrix) {
  // [[2, 1, 0], [1, 2, 0], [0, 0, 5]]: eigenvalues 1, 3, 5 with vectors (1, -1, 0)/sqrt2,
  // (1, 1, 0)/sqrt2, (0, 0, 1).
  const std::vector<double> a = {2, 1, 0, 1, 2, 0, 0, 0, 5};
  const SymmetricEigen e = symmetric_eigen(a, 3);
  ASSERT_EQ(e.values.size(), 3u);
  EXPECT_NEAR(e.values[0], 1.0, 1e-12);
  EXPECT_NEAR(e.values[1], 3.0, 1e-12);
  EXPECT_NEAR(e.values[2], 5.0, 1e-12);
  const double r = 1.0 / std::sqrt(2.0);
  // Column j is eigenvector j (up to sign).
  EXPECT_NEAR(std::fabs(e.vectors[0 * 3 + 0]), r, 1e-12);
  EXPECT_NEAR(e.vectors[0 * 3 + 0], -e.vectors[1 * 3 + 0], 1e-12);
  EXPECT_NEAR(e.vectors[0 * 3 + 1], e.vectors[1 * 3 + 1], 1e-12);
  EXPECT_NEAR(std::fabs(e.vectors[2 * 3 + 2]), 1.0, 1e-12);
}

TEST(SymmetricEigen, ReconstructsARandomMatrixAndItsSquareRoot) {
  const int64_t n = 40;
  const std::vector<double> s = random_spd(n, 11);
  const SymmetricEigen e = symmetric_eigen(s, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double v = 0;
      for (int64_t k = 0; k < n; ++k)
        v += e.vectors[i * n + k] * e.values[k] * e.vectors[j * n + k];
      EXPECT_NEAR(v, s[i * n + j], 1e-10);
    }
  const std::vector<double> r = psd_sqrt(s, n);
  const std::vector<double> rr = matmul(r, r, n);
  for (int64_t i = 0; i < n * n; ++i) EXPECT_NEAR(rr[i], s[i], 1e-10);
}

TEST(Frechet, IdenticalGaussiansAreAtZero) {
  const int64_t n = 64;
  const std::vector<double> s = random_spd(n, 3);
  std::vector<double> mu(n, 0.5);
  EXPECT_NEAR(frechet_distance(mu, s, mu, s), 0.0, 1e-8);
}

TEST(Frechet, ShiftedUnitGaussiansAreAtTheSquaredShift) {
  const int64_t n = 100;
  std::vector<double> zero(n, 0.0), m(n);
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    m[i] = 0.1 * static_cast<double>(i % 7) - 0.3;
    sq += m[i] * m[i];
  }
  EXPECT_NEAR(frechet_distance(zero, identity(n), m, identity(n)), sq, 1e-9);
}

TEST(Frechet, DiagonalCovariancesMatchTheClosedForm) {
  const int64_t n = 50;
  std::vector<double> a(n * n, 0.0), b(n * n, 0.0), mu(n, 0.0);
  double expected = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double va = 0.5 + 0.1 * i, vb = 2.0 / (1.0 + i);
    a[i * n + i] = va;
    b[i * n + i] = vb;
    expected += (std::sqrt(va) - std::sqrt(vb)) * (std::sqrt(va) - std::sqrt(vb));
  }
  EXPECT_NEAR(frechet_distance(mu, a, mu, b), expected, 1e-9 * (1 + expected));
}

TEST(Frechet, IsSymmetric) {
  const int64_t n = 48;
  const std::vector<double> s1 = random_spd(n, 5), s2 = random_spd(n, 6);
  std::vector<double> m1(n), m2(n);
  RandomStream rng(9, RngPurpose::kTest, 1, 0, 0);
  for (int64_t i = 0; i < n; ++i) {
    m1[i] = rng.normal();
    m2[i] = rng.normal();
  }
  const double ab = frechet_distance(m1, s1, m2, s2), ba = frechet_distance(m2, s2, m1, s1);
  EXPECT_GT(ab, 0.0);
  EXPECT_NEAR(ab, ba, 1e-9 * ab);
}

TEST(FeatureStats, BatchesMergeToTheDirectMeanAndCovariance) {
  const int64_t d = 5, n = 103;
  std::vector<float> x(n * d);
  RandomStream rng(2, RngPurpose::kTest, 0, 0, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x[i * d + j] = 1000.0f + rng.normal() * (1.0f + j);
  FeatureStats stats(d);
  for (int64_t first = 0; first < n; first += 17)  // uneven batches: 17, ..., 1
    stats.add(x.data() + first * d, std::min<int64_t>(17, n - first));
  ASSERT_EQ(stats.count(), n);
  std::vector<double> mean(d, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean[j] += x[i * d + j] / static_cast<double>(n);
  const std::vector<double> cov = stats.covariance();
  for (int64_t a = 0; a < d; ++a) {
    EXPECT_NEAR(stats.mean()[a], mean[a], 1e-9);
    for (int64_t b = 0; b < d; ++b) {
      double c = 0;
      for (int64_t i = 0; i < n; ++i) c += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
      EXPECT_NEAR(cov[a * d + b], c / (n - 1), 1e-9 * (1 + std::fabs(c)));
    }
  }
}

TEST(FeatureStats, SamplesOfTwoGaussiansGiveTheirDistance) {
  // N(0, I) against N(m, I) in 8 dimensions from 20000 samples each: FD ~ |m|^2 = 2.
  const int64_t d = 8, n = 20000;
  FeatureStats a(d), b(d);
  std::vector<float> row(d);
  for (int64_t i = 0; i < n; ++i) {
    RandomStream rng(4, RngPurpose::kTest, 2, 0, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < d; ++j) row[j] = rng.normal();
    a.add(row.data(), 1);
    for (int64_t j = 0; j < d; ++j) row[j] = rng.normal() + (j < 2 ? 1.0f : 0.0f);
    b.add(row.data(), 1);
  }
  EXPECT_NEAR(frechet_distance(a, b), 2.0, 0.05);
}

}  // namespace
}  // namespace strata
