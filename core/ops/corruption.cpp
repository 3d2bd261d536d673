#include "core/ops/corruption.h"

#include "core/rng.h"

namespace strata {

namespace {

RandomStream sample_stream(const CorruptionArgs& a, uint32_t kind, int64_t i) {
  return RandomStream(a.seed, RngPurpose::kCorruption, kind, counter_step(a.counter, a.step),
                      static_cast<uint64_t>(counter_first_sample(a.counter, a.first_sample) + i));
}

}  // namespace

void corrupt_mask(CpuBackend&, const CorruptionArgs& a, float p, const float* x, float* y) {
  const int64_t per = a.per_sample;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < a.batch; ++i) {
    RandomStream rng = sample_stream(a, 0u, i);
    for (int64_t j = 0; j < per; ++j) y[i * per + j] = rng.uniform() < p ? 0.0f : x[i * per + j];
  }
}

void corrupt_gaussian(CpuBackend&, const CorruptionArgs& a, float stddev, const float* x,
                      float* y) {
  const int64_t per = a.per_sample;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < a.batch; ++i) {
    RandomStream rng = sample_stream(a, 1u, i);
    for (int64_t j = 0; j < per; ++j) y[i * per + j] = x[i * per + j] + stddev * rng.normal();
  }
}

}  // namespace strata
