// bce_logits on the CPU: one pass of detail::chunked_sum (reduce.h), the losses summed in double,
// the gradient written in the same pass.
#include "core/ops/bce_logits.h"

#include <cmath>

#include "core/ops/reduce.h"

namespace strata {

void bce_logits_forward_backward(CpuBackend&, int64_t n, const float* z, const float* t, float* d,
                                 float* loss) {
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
  *loss = static_cast<float>(sum / static_cast<double>(n));
}

void bce_logits_forward(CpuBackend&, int64_t n, const float* z, const float* t, float* loss) {
  const double sum = detail::chunked_sum(n, [&](int64_t b, int64_t e) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) {
      const float x = z[i];
      s += static_cast<double>(std::fmax(x, 0.0f) - x * t[i] + std::log1p(std::exp(-std::fabs(x))));
    }
    return s;
  });
  *loss = static_cast<float>(sum / static_cast<double>(n));
}

void sigmoid_mean(CpuBackend&, int64_t n, const float* z, float* mean) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += 1.0 / (1.0 + std::exp(-static_cast<double>(z[i])));
  *mean = static_cast<float>(s / static_cast<double>(n));
}

}  // namespace strata
