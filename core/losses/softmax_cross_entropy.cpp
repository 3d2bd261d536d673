// Softmax cross-entropy on logits z[N, K] with class indices y[N] (stored as floats):
//   l_n = log sum_k exp(z_nk) - z_{n,y_n},   L = (1/N) sum_n l_n,
//   dL/dz_nk = (softmax(z_n)_k - [k == y_n]) / N.
// The log-sum-exp subtracts the row maximum first, so no exp() overflows whatever the logits.
// Targets are validated (an integer in [0, K)) in a serial pass before any parallel work, so the
// error can name the sample.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/losses/loss.h"
#include "core/losses/reduce.h"

namespace strata {

namespace {

// Checks shapes and every target; returns K.
int64_t check_inputs(const Tensor& pred, const Tensor& target) {
  STRATA_CHECK(pred.rank() == 2 && pred.dim(0) > 0 && pred.dim(1) > 0,
               "softmax_cross_entropy: logits must be [N, K] with N, K > 0, got "
                   << pred.shape().str() << " (target " << target.shape().str()
                   << "); flatten the model output with a dense layer of K units");
  const int64_t n = pred.dim(0), k = pred.dim(1);
  const bool target_ok = (target.rank() == 1 && target.dim(0) == n) ||
                         (target.rank() == 2 && target.dim(0) == n && target.dim(1) == 1);
  STRATA_CHECK(target_ok, "softmax_cross_entropy: logits "
                              << pred.shape().str() << " need a target "
                              << "of shape [" << n << "] (one class index per sample), got "
                              << target.shape().str());
  const float* t = target.data();
  for (int64_t i = 0; i < n; ++i) {
    const float c = t[i];
    // Written so that NaN fails too.
    STRATA_CHECK(c >= 0.0f && c < static_cast<float>(k) && c == std::floor(c),
                 "softmax_cross_entropy: target of sample "
                     << i << " is " << c << ", not a class index in [0, " << k
                     << "); check the labels against the number of classes");
  }
  return k;
}

// Rows per chunk below which the work runs serially: about kLossParallelMin elements.
int64_t parallel_rows(int64_t k) {
  return std::max<int64_t>(1, detail::kLossParallelMin / k);
}

}  // namespace

float SoftmaxCrossEntropyLoss::forward_backward(const Tensor& pred, const Tensor& target,
                                                Tensor& dpred) {
  const int64_t k = check_inputs(pred, target);
  if (dpred.shape() != pred.shape()) dpred.resize(pred.shape());
  const int64_t n = pred.dim(0);
  const float* z = pred.data();
  const float* t = target.data();
  float* d = dpred.data();
  const float inv_n = 1.0f / static_cast<float>(n);
  const double sum = detail::chunked_sum(
      n,
      [&](int64_t b, int64_t e) {
        double s = 0.0;
        for (int64_t r = b; r < e; ++r) {
          const float* zr = z + r * k;
          float* dr = d + r * k;
          const int64_t y = static_cast<int64_t>(t[r]);
          float m = zr[0];
          for (int64_t j = 1; j < k; ++j) m = std::max(m, zr[j]);
          double se = 0.0;
#pragma omp simd reduction(+ : se)
          for (int64_t j = 0; j < k; ++j) {
            dr[j] = std::exp(zr[j] - m);
            se += dr[j];
          }
          const float scale = static_cast<float>(1.0 / se) * inv_n;
#pragma omp simd
          for (int64_t j = 0; j < k; ++j) dr[j] *= scale;
          dr[y] -= inv_n;
          s += std::log(se) - (static_cast<double>(zr[y]) - m);
        }
        return s;
      },
      parallel_rows(k));
  return static_cast<float>(sum / static_cast<double>(n));
}

float SoftmaxCrossEntropyLoss::forward(const Tensor& pred, const Tensor& target) {
  const int64_t k = check_inputs(pred, target);
  const int64_t n = pred.dim(0);
  const float* z = pred.data();
  const float* t = target.data();
  const double sum = detail::chunked_sum(
      n,
      [&](int64_t b, int64_t e) {
        double s = 0.0;
        for (int64_t r = b; r < e; ++r) {
          const float* zr = z + r * k;
          const int64_t y = static_cast<int64_t>(t[r]);
          float m = zr[0];
          for (int64_t j = 1; j < k; ++j) m = std::max(m, zr[j]);
          double se = 0.0;
#pragma omp simd reduction(+ : se)
          for (int64_t j = 0; j < k; ++j) se += std::exp(zr[j] - m);
          s += std::log(se) - (static_cast<double>(zr[y]) - m);
        }
        return s;
      },
      parallel_rows(k));
  return static_cast<float>(sum / static_cast<double>(n));
}

}  // namespace strata
