// Mean squared error: L = (1/n) sum_i (p_i - t_i)^2 over all n elements, dL/dp_i = 2 (p_i - t_i) /
// n.
#include <cmath>

#include "core/error.h"
#include "core/losses/loss.h"
#include "core/losses/reduce.h"

namespace strata {

namespace {

void check_shapes(const Tensor& pred, const Tensor& target) {
  STRATA_CHECK(pred.shape() == target.shape(),
               "mse: prediction " << pred.shape().str() << " and target " << target.shape().str()
                                  << " differ in shape; the target must have the model output's "
                                     "shape");
  STRATA_CHECK(pred.numel() > 0, "mse: empty prediction " << pred.shape().str());
}

}  // namespace

float MSELoss::forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) {
  check_shapes(pred, target);
  if (dpred.shape() != pred.shape()) dpred.resize(pred.shape());
  const int64_t n = pred.numel();
  const float* p = pred.data();
  const float* t = target.data();
  float* d = dpred.data();
  const float scale = 2.0f / static_cast<float>(n);
  const double sum = detail::chunked_sum(n, [&](int64_t b, int64_t e) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) {
      const float diff = p[i] - t[i];
      d[i] = scale * diff;
      s += static_cast<double>(diff) * diff;
    }
    return s;
  });
  return static_cast<float>(sum / static_cast<double>(n));
}

float MSELoss::forward(const Tensor& pred, const Tensor& target) {
  check_shapes(pred, target);
  const int64_t n = pred.numel();
  const float* p = pred.data();
  const float* t = target.data();
  const double sum = detail::chunked_sum(n, [&](int64_t b, int64_t e) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) {
      const double diff = static_cast<double>(p[i]) - t[i];
      s += diff * diff;
    }
    return s;
  });
  return static_cast<float>(sum / static_cast<double>(n));
}

}  // namespace strata
