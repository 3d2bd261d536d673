// corruption: the denoising autoencoder's corrupted input. Sample s draws from
// RandomStream(seed, kCorruption, 0 for masking / 1 for Gaussian noise, step, first + s), one
// draw per value in element order, so the result does not depend on how the batch is split over
// ranks or threads. CPU: corruption.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/ops/step_counter.h"

namespace strata {

struct CorruptionArgs {
  uint64_t seed = 0, step = 0;
  int64_t first_sample = 0;  // global index of sample 0
  int64_t batch = 0, per_sample = 0;
  // When set, the step and first sample come from here (device memory; core/ops/step_counter.h).
  const StepCounter* counter = nullptr;
};

// y = 0 where a uniform draw is below p, else x.
void corrupt_mask(CpuBackend& be, const CorruptionArgs& a, float p, const float* x, float* y);
// y = x + stddev * a standard normal draw.
void corrupt_gaussian(CpuBackend& be, const CorruptionArgs& a, float stddev, const float* x,
                      float* y);

#if STRATA_WITH_CUDA
void corrupt_mask(CudaBackend& be, const CorruptionArgs& a, float p, const float* x, float* y);
void corrupt_gaussian(CudaBackend& be, const CorruptionArgs& a, float stddev, const float* x,
                      float* y);
#endif

}  // namespace strata
