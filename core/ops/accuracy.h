// accuracy: the fraction of rows of logits [n, k] whose largest entry (the first of equal maxima)
// is at the row's label, labels[i] a class index in [0, k) stored as a float (the caller checks
// them: the classifier's loss does, on the host). `out` is one float in the backend's memory (a
// device scalar on a GPU), written without a copy. CPU: accuracy.cpp. CUDA: accuracy.cu - one
// block counts the right rows (a sum of ones, exact in any order), the CPU's bits.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

void accuracy(CpuBackend& be, int64_t n, int64_t k, const float* logits, const float* labels,
              float* out);

#if STRATA_WITH_CUDA
void accuracy(CudaBackend& be, int64_t n, int64_t k, const float* logits, const float* labels,
              float* out);
#endif

}  // namespace strata
