#include "core/ops/elementwise.h"

#include "core/cpu_threads.h"

namespace strata {

void scale(CpuBackend&, float* x, int64_t n, float s) {
#pragma omp parallel for simd if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void axpy(CpuBackend&, float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace strata
