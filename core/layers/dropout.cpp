#include "core/layers/dropout.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace strata {

namespace {
constexpr int64_t kParallelMin = 16384;  // values; below this, a parallel loop costs more
}

Dropout::Dropout(float rate) : rate_(rate) {
  STRATA_CHECK(rate >= 0.0f && rate < 1.0f,
               "dropout: rate must be in [0, 1) (the fraction of values dropped), got " << rate);
}

void Dropout::setup(const Shape& in) {
  mask_.resize(in);
}

void Dropout::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  const int64_t total = x.numel();
  const float* xp = x.data();
  float* yp = y.data();
  last_training_ = ctx.training;
  if (!ctx.training) {
    if (yp != xp) y.copy_from(x);
    return;
  }
  STRATA_CHECK(mask_.numel() == total,
               "dropout: setup() was not called for input " << x.shape().str());
  const int64_t n = x.dim(0), per = x.shape().sample_numel();
  const float rate = rate_, keep = 1.0f / (1.0f - rate_);
  const uint64_t seed = ctx.seed, step = ctx.step;
  const int64_t offset = ctx.sample_offset;
  const uint32_t layer = index();
  float* mp = mask_.data();
  // One stream per sample, keyed by its global index: the mask of a sample is the same whatever
  // rank holds it and however the batch is split. Its uniforms are consumed in element order.
#pragma omp parallel for if (total >= kParallelMin)
  for (int64_t s = 0; s < n; ++s) {
    RandomStream rng(seed, RngPurpose::kDropout, layer, step, static_cast<uint64_t>(offset + s));
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

void Dropout::backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx,
                       const StepContext&) {
  if (!dx) return;
  const int64_t total = dy.numel();
  const float* g = dy.data();
  float* d = dx->data();
  if (!last_training_) {  // the forward was the identity
    if (d != g) dx->copy_from(dy);
    return;
  }
  const float* mp = mask_.data();
#pragma omp parallel for simd if (total >= kParallelMin)
  for (int64_t i = 0; i < total; ++i) d[i] = g[i] * mp[i];
}

}  // namespace strata
