// mse on the CPU: one pass of detail::chunked_sum (reduce.h), the squares summed in double, the
// gradient written in the same pass.
#include "core/ops/mse.h"

#include "core/ops/reduce.h"

namespace strata {

void mse_forward_backward(CpuBackend&, int64_t n, const float* p, const float* t, float* d,
                          float* loss) {
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
  *loss = static_cast<float>(sum / static_cast<double>(n));
}

// The difference is taken in double here (no gradient to write in float).
void mse_forward(CpuBackend&, int64_t n, const float* p, const float* t, float* loss) {
  const double sum = detail::chunked_sum(n, [&](int64_t b, int64_t e) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) {
      const double diff = static_cast<double>(p[i]) - t[i];
      s += diff * diff;
    }
    return s;
  });
  *loss = static_cast<float>(sum / static_cast<double>(n));
}

}  // namespace strata
