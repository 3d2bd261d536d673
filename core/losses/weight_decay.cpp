// L2 weight decay as a penalty: P = (lambda / 2) sum w^2 over every parameter marked decay
// (weights; not biases or BatchNorm's gamma and beta), dP/dw = lambda w added to its gradient.
#include "core/error.h"
#include "core/losses/penalties.h"
#include "core/losses/reduce.h"

namespace strata {

float apply_l2_weight_decay(Sequential& model, float lambda) {
  STRATA_CHECK(lambda >= 0.0f, "weight decay lambda must be >= 0, got " << lambda);
  if (lambda == 0.0f) return 0.0f;
  double sum = 0.0;
  for (NamedParam& p : model.named_params()) {
    if (!p.decay) continue;
    const float* w = p.value.data();
    float* g = p.grad.data();
    sum += detail::chunked_sum(p.value.numel(), [&](int64_t b, int64_t e) {
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = b; i < e; ++i) {
        g[i] += lambda * w[i];
        s += static_cast<double>(w[i]) * w[i];
      }
      return s;
    });
  }
  return static_cast<float>(0.5 * lambda * sum);
}

}  // namespace strata
