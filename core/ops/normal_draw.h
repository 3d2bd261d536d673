// normal_draw: standard normal values per sample (GAN latent vectors). Sample s draws from
// RandomStream(seed, purpose, index, step, first + s) in element order, so the values do not
// depend on how the batch is split over ranks or threads. CPU: normal_draw.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/ops/step_counter.h"
#include "core/rng.h"

namespace strata {

struct NormalDrawArgs {
  uint64_t seed = 0, step = 0;
  RngPurpose purpose = RngPurpose::kLatent;
  uint32_t index = 0;        // which draw of the step (RandomStream's stream index)
  int64_t first_sample = 0;  // global index of sample 0
  int64_t batch = 0, per_sample = 0;
  // When set, the step and first sample come from here (device memory; core/ops/step_counter.h).
  const StepCounter* counter = nullptr;
};

void normal_draw(CpuBackend& be, const NormalDrawArgs& a, float* out);

#if STRATA_WITH_CUDA
void normal_draw(CudaBackend& be, const NormalDrawArgs& a, float* out);
#endif

}  // namespace strata
