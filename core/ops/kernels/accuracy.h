// Kernel bodies of core/ops/accuracy.h: the class a row of logits picks and whether it is the
// label, for the CPU op and its CUDA twin alike.
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace strata {

// The index of the largest of k logits; the first of equal maxima wins (only a larger value
// moves it, compared with >, so a NaN never wins and a NaN in front stays).
STRATA_HD inline int64_t row_argmax(const float* row, int64_t k) {
  int64_t best = 0;
  for (int64_t c = 1; c < k; ++c)
    if (row[c] > row[best]) best = c;
  return best;
}

// 1 when row i's class is labels[i] (a class index stored as a float, checked by the caller),
// else 0: the term of the count of right rows.
struct AccuracyTerm {
  const float* logits;
  const float* labels;
  int64_t k;
  STRATA_HD double operator()(int64_t i) const {
    return row_argmax(logits + i * k, k) == static_cast<int64_t>(labels[i]) ? 1.0 : 0.0;
  }
};

// The count of right rows (an exact sum of ones) as the fraction float(right) / float(n).
struct AccuracyFinish {
  int64_t n;
  STRATA_HD float operator()(double right) const {
    return static_cast<float>(static_cast<int64_t>(right)) / static_cast<float>(n);
  }
};

}  // namespace strata
