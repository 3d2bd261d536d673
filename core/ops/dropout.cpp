#include "core/ops/dropout.h"

#include "core/cpu_threads.h"
#include "core/rng.h"

namespace strata {

void dropout_forward(CpuBackend&, const DropoutArgs& a, const float* xp, float* yp, float* mp) {
  const int64_t n = a.batch, per = a.per_sample, total = n * per;
  const float rate = a.rate, keep = 1.0f / (1.0f - a.rate);
  // One stream per sample, keyed by its global index: the mask of a sample is the same whatever
  // rank holds it and however the batch is split. Its uniforms are consumed in element order.
#pragma omp parallel for if (total >= kParallelMin)
  for (int64_t s = 0; s < n; ++s) {
    RandomStream rng(a.seed, RngPurpose::kDropout, a.layer, counter_step(a.counter, a.step),
                     static_cast<uint64_t>(counter_first_sample(a.counter, a.first_sample) + s));
    float* ms = mp + s * per;
    const float* xs = xp + s * per;
    float* ys = yp + s * per;
    for (int64_t i = 0; i < per; ++i) {
      const float m = rng.uniform() >= rate ? keep : 0.0f;  // kept with probability 1 - rate
      ms[i] = m;
      ys[i] = xs[i] * m;
    }
  }
}

void dropout_backward(CpuBackend&, const float* g, const float* mp, float* d, int64_t total) {
#pragma omp parallel for simd if (total >= kParallelMin)
  for (int64_t i = 0; i < total; ++i) d[i] = g[i] * mp[i];
}

}  // namespace strata
