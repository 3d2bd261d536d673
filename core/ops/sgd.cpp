#include "core/ops/sgd.h"

#include "core/cpu_threads.h"

namespace strata {

void sgd_step(CpuBackend&, const SgdStepArgs& a, float* p, const float* g, float* v, int64_t n) {
  const float lr = a.lr, mu = a.momentum, wd = a.weight_decay;
  const bool nesterov = a.nesterov;
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * p[i];
    const float vi = mu * v[i] + gi;
    v[i] = vi;
    p[i] -= lr * (nesterov ? gi + mu * vi : vi);
  }
}

}  // namespace strata
