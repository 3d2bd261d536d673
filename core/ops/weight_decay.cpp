// weight_decay on the CPU: one detail::chunked_sum (reduce.h) per parameter, which adds to the
// gradient as it sums the squares.
#include "core/ops/weight_decay.h"

#include "core/ops/reduce.h"

namespace strata {

void l2_weight_decay(CpuBackend&, float lambda, std::span<const DecayedParam> params,
                     float* value) {
  double sum = 0.0;
  for (const DecayedParam& p : params) {
    const float* w = p.w;
    float* g = p.g;
    sum += detail::chunked_sum(p.n, [&](int64_t b, int64_t e) {
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = b; i < e; ++i) {
        g[i] += lambda * w[i];
        s += static_cast<double>(w[i]) * w[i];
      }
      return s;
    });
  }
  *value = static_cast<float>(0.5 * lambda * sum);
}

}  // namespace strata
