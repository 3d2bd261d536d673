#include "core/ops/adam.h"

#include <cmath>

#include "core/cpu_threads.h"

namespace strata {

void adam_step(CpuBackend&, const AdamStepArgs& a, float* p, const float* g, float* m, float* v,
               int64_t n) {
  const float step_size = a.step_size, inv_sqrt_bc2 = a.inv_sqrt_bc2;
  const float b1 = a.b1, b2 = a.b2, eps = a.eps, l2 = a.l2, shrink = a.shrink;
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + l2 * p[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * shrink - step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace strata
