// Feature statistics and the Frechet distance between the Gaussians they define
// (trainers/eval/frechet.h).
#include "trainers/eval/frechet.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "trainers/eval/symmetric_eigen.h"

namespace strata {

FeatureStats::FeatureStats(int64_t dim)
    : dim_(dim), mean_(dim, 0.0), scatter_(dim * dim, 0.0), bmean_(dim), bscatter_(dim * dim) {
  STRATA_CHECK(dim > 0, "feature statistics need a positive dimension, got " << dim);
}

void FeatureStats::add(const Tensor& features) {
  const int64_t n = features.rank() == 0 ? 0 : features.dim(0);
  STRATA_CHECK(n > 0 && features.numel() == n * dim_,
               "features " << features.shape().str() << " are not rows of " << dim_ << " values");
  STRATA_CHECK(features.on_cpu(), "feature statistics are taken on the host; the features are on "
                                      << features.device().str() << ": copy them first");
  add(features.data(), n);
}

void FeatureStats::add(const float* rows, int64_t n) {
  if (n <= 0) return;
  const int64_t d = dim_;
  std::fill(bmean_.begin(), bmean_.end(), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) bmean_[j] += rows[i * d + j];
  for (int64_t j = 0; j < d; ++j) bmean_[j] /= static_cast<double>(n);
  centred_.resize(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) centred_[i * d + j] = rows[i * d + j] - bmean_[j];
  std::fill(bscatter_.begin(), bscatter_.end(), 0.0);
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t a = 0; a < d; ++a)
    for (int64_t i = 0; i < n; ++i) {
      const double xa = centred_[i * d + a];
      const double* x = &centred_[i * d];
      double* row = &bscatter_[a * d];
      for (int64_t b = a; b < d; ++b) row[b] += xa * x[b];
    }
  // Merge: M = Ma + Mb + delta delta^T na nb / (na + nb); mean moves by delta nb / (na + nb).
  const double na = static_cast<double>(n_), nb = static_cast<double>(n), nt = na + nb;
  for (int64_t a = 0; a < d; ++a) {
    const double da = bmean_[a] - mean_[a];
    for (int64_t b = a; b < d; ++b) {
      const double v =
          scatter_[a * d + b] + bscatter_[a * d + b] + da * (bmean_[b] - mean_[b]) * na * nb / nt;
      scatter_[a * d + b] = scatter_[b * d + a] = v;
    }
  }
  for (int64_t j = 0; j < d; ++j) mean_[j] += (bmean_[j] - mean_[j]) * nb / nt;
  n_ += n;
}

std::vector<double> FeatureStats::covariance() const {
  STRATA_CHECK(n_ >= 2, "a covariance needs at least 2 feature vectors, got " << n_);
  std::vector<double> c(scatter_);
  for (double& v : c) v /= static_cast<double>(n_ - 1);
  return c;
}

double frechet_distance(const std::vector<double>& mu1, const std::vector<double>& s1,
                        const std::vector<double>& mu2, const std::vector<double>& s2) {
  const int64_t d = static_cast<int64_t>(mu1.size());
  STRATA_CHECK(d > 0 && static_cast<int64_t>(mu2.size()) == d &&
                   static_cast<int64_t>(s1.size()) == d * d &&
                   static_cast<int64_t>(s2.size()) == d * d,
               "frechet_distance: means of " << mu1.size() << " and " << mu2.size()
                                             << " values and covariances of " << s1.size()
                                             << " and " << s2.size() << " do not agree");
  double mean_term = 0, tr1 = 0, tr2 = 0;
  for (int64_t j = 0; j < d; ++j) {
    const double diff = mu1[j] - mu2[j];
    mean_term += diff * diff;
    tr1 += s1[j * d + j];
    tr2 += s2[j * d + j];
  }
  const std::vector<double> r1 = psd_sqrt(s1, d);
  std::vector<double> m = matmul(matmul(r1, s2, d), r1, d);
  for (int64_t i = 0; i < d; ++i)  // symmetrise away round-off before the eigensolver
    for (int64_t j = i + 1; j < d; ++j)
      m[i * d + j] = m[j * d + i] = 0.5 * (m[i * d + j] + m[j * d + i]);
  const double cross = psd_sqrt_trace(m, d);
  // Round-off can make the distance of equal Gaussians slightly negative.
  return std::max(0.0, mean_term + tr1 + tr2 - 2.0 * cross);
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  STRATA_CHECK(a.dim() == b.dim(),
               "feature statistics of " << a.dim() << " and " << b.dim() << " dimensions");
  return frechet_distance(a.mean(), a.covariance(), b.mean(), b.covariance());
}

}  // namespace strata
