// accuracy on the CPU: the rows in order, counted in an integer.
#include "core/ops/accuracy.h"

#include "core/ops/kernels/accuracy.h"

namespace strata {

void accuracy(CpuBackend&, int64_t n, int64_t k, const float* logits, const float* labels,
              float* out) {
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i)
    right += row_argmax(logits + i * k, k) == static_cast<int64_t>(labels[i]) ? 1 : 0;
  *out = static_cast<float>(right) / static_cast<float>(n);
}

}  // namespace strata
