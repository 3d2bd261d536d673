#include "core/ops/normal_draw.h"

namespace strata {

void normal_draw(CpuBackend&, const NormalDrawArgs& a, float* out) {
  const int64_t per = a.per_sample;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < a.batch; ++i) {
    RandomStream rng(a.seed, a.purpose, a.index, counter_step(a.counter, a.step),
                     static_cast<uint64_t>(counter_first_sample(a.counter, a.first_sample) + i));
    for (int64_t j = 0; j < per; ++j) out[i * per + j] = rng.normal();
  }
}

}  // namespace strata
