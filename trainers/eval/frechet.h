// The Frechet distance between two Gaussians fitted to feature vectors (the "FID" when the
// features come from an image classifier), and the feature statistics it needs.
//
//   FD = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2)
//
// The last term is tr((S1 S2)^1/2) written with symmetric matrices only, so that it needs nothing
// but a symmetric eigensolver (trainers/eval/symmetric_eigen.h): S1^1/2 from the eigenvectors of
// S1, then the square roots of the eigenvalues of the symmetric PSD S1^1/2 S2 S1^1/2.
// Everything is in double. Strata's features are those of a classifier it trained itself
// (trainers/eval/features.h), so its figures compare with each other, not with published FIDs
// (which use Inception-v3).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace strata {

// Mean and covariance of feature vectors added batch by batch. Each batch's mean and centred
// scatter are merged into the running ones (Chan et al.'s pairwise update), which stays accurate
// when the features' mean is large against their spread.
class FeatureStats {
 public:
  explicit FeatureStats(int64_t dim);
  // features: [n, dim] (or [n, ...] with dim values per row), on the host.
  void add(const Tensor& features);
  // rows: n x dim values, row-major.
  void add(const float* rows, int64_t n);

  int64_t dim() const { return dim_; }
  int64_t count() const { return n_; }
  const std::vector<double>& mean() const { return mean_; }
  // The unbiased covariance (divides by count - 1); needs count >= 2.
  std::vector<double> covariance() const;

 private:
  int64_t dim_;
  int64_t n_ = 0;
  std::vector<double> mean_, scatter_;  // scatter: sum of (x - mean)(x - mean)^T
  std::vector<double> bmean_, bscatter_, centred_;
};

// mu: dim values; s: dim x dim covariances (symmetric, PSD), row-major.
double frechet_distance(const std::vector<double>& mu1, const std::vector<double>& s1,
                        const std::vector<double>& mu2, const std::vector<double>& s2);
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

}  // namespace strata
