// Binary cross-entropy on logits z with targets t in [0, 1], averaged over all n elements:
//   l(z, t) = max(z, 0) - z t + log(1 + exp(-|z|))   (= -t log s(z) - (1 - t) log(1 - s(z)))
//   dl/dz   = s(z) - t,  s = sigmoid.
// Both are evaluated so that no exp() overflows: exp is only ever taken of -|z| <= 0, so logits
// of any finite size give a finite loss and gradient (|z| = 1e4 gives l = |z| or 0 exactly).
#include <cmath>

#include "core/error.h"
#include "core/losses/loss.h"
#include "core/losses/reduce.h"

namespace strata {

namespace {

void check_shapes(const Tensor& pred, const Tensor& target) {
  STRATA_CHECK(pred.shape() == target.shape(),
               "bce_logits: logits " << pred.shape().str() << " and target " << target.shape().str()
                                     << " differ in shape; give one target in [0, 1] per logit");
  STRATA_CHECK(pred.numel() > 0, "bce_logits: empty prediction " << pred.shape().str());
}

}  // namespace

float BCEWithLogitsLoss::forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) {
  check_shapes(pred, target);
  if (dpred.shape() != pred.shape()) dpred.resize(pred.shape());
  const int64_t n = pred.numel();
  const float* z = pred.data();
  const float* t = target.data();
  float* d = dpred.data();
  const float inv_n = 1.0f / static_cast<float>(n);
  const double sum = detail::chunked_sum(n, [&](int64_t b, int64_t e) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) {
      const float x = z[i];
      const float ex = std::exp(-std::fabs(x));  // in (0, 1]
      // sigmoid(x) = 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0.
      const float sig = (x >= 0.0f ? 1.0f : ex) / (1.0f + ex);
      d[i] = (sig - t[i]) * inv_n;
      s += static_cast<double>(std::fmax(x, 0.0f) - x * t[i] + std::log1p(ex));
    }
    return s;
  });
  return static_cast<float>(sum / static_cast<double>(n));
}

float BCEWithLogitsLoss::forward(const Tensor& pred, const Tensor& target) {
  check_shapes(pred, target);
  const int64_t n = pred.numel();
  const float* z = pred.data();
  const float* t = target.data();
  const double sum = detail::chunked_sum(n, [&](int64_t b, int64_t e) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) {
      const float x = z[i];
      s += static_cast<double>(std::fmax(x, 0.0f) - x * t[i] + std::log1p(std::exp(-std::fabs(x))));
    }
    return s;
  });
  return static_cast<float>(sum / static_cast<double>(n));
}

}  // namespace strata
