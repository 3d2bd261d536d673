// accuracy on a GPU: one block's deterministic sum of AccuracyTerm (ones and zeros, exact),
// finished to the fraction on the device (bodies: core/ops/kernels/accuracy.h).
#include "core/ops/accuracy.h"
#include "core/ops/kernels/accuracy.h"
#include "core/ops/kernels/losses.h"

namespace strata {

void accuracy(CudaBackend& be, int64_t n, int64_t k, const float* logits, const float* labels,
              float* out) {
  STRATA_SUM_TO_SCALAR(be, n, out, AccuracyTerm{logits, labels, k}, AccuracyFinish{n});
}

}  // namespace strata
