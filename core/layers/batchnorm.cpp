#include "core/layers/batchnorm.h"

#include <cmath>

#include "core/error.h"

namespace strata {

// Channel c of an [N, C, S] view (S = H * W, or 1 for [N, C]) is the N runs of S contiguous
// values at i * C * S + c * S. Every loop below runs over channels in parallel (each channel's
// statistics and gradients are its own, so threads never share an output) and sums in double.

namespace {
constexpr int64_t kParallelMin = 16384;  // values; below this, a parallel loop costs more
}

BatchNorm::BatchNorm(const BatchNormOptions& o) : o_(o) {
  STRATA_CHECK(o.momentum >= 0.0f && o.momentum <= 1.0f,
               "batchnorm: momentum must be in [0, 1], got " << o.momentum);
  STRATA_CHECK(o.eps > 0.0f, "batchnorm: eps must be positive, got " << o.eps);
}

Shape BatchNorm::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 2 || in.rank() == 4,
               "batchnorm expects input [N, C] (1-D) or [N, C, H, W] (2-D), got "
                   << in.str() << " (rank " << in.rank() << ")");
  c_ = in[1];
  spatial_ = in.rank() == 4 ? in[2] * in[3] : 1;
  STRATA_CHECK(c_ > 0 && spatial_ > 0, "batchnorm: input " << in.str() << " has no values");
  running_mean_ = Tensor(Shape{c_});  // zeros
  running_var_ = Tensor(Shape{c_});
  running_var_.fill(1.0f);
  mean_ = Tensor(Shape{c_});
  invstd_ = Tensor(Shape{c_});
  return in;
}

std::vector<ParamSpec> BatchNorm::param_specs() const {
  if (!o_.affine) return {};
  return {{"weight", Shape{c_}, InitSpec::ones(), false},
          {"bias", Shape{c_}, InitSpec::zeros(), false}};
}

void BatchNorm::bind(std::span<Tensor> params, std::span<Tensor> grads) {
  if (!o_.affine) return;
  gamma_ = params[0];
  beta_ = params[1];
  dgamma_ = grads[0];
  dbeta_ = grads[1];
}

void BatchNorm::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  const int64_t n = x.dim(0), C = c_, S = spatial_, m = n * S;
  const float* xp = x.data();
  float* yp = y.data();
  const float* g = o_.affine ? gamma_.data() : nullptr;
  const float* b = o_.affine ? beta_.data() : nullptr;
  float* rm = running_mean_.data();
  float* rv = running_var_.data();
  const double eps = o_.eps;

  if (!ctx.training) {
#pragma omp parallel for if (n * C * S >= kParallelMin)
    for (int64_t c = 0; c < C; ++c) {
      const float mean = rm[c];
      const float scale = static_cast<float>((g ? g[c] : 1.0f) / std::sqrt(rv[c] + eps));
      const float shift = b ? b[c] : 0.0f;
      for (int64_t i = 0; i < n; ++i) {
        const float* xs = xp + (i * C + c) * S;
        float* ys = yp + (i * C + c) * S;
        for (int64_t s = 0; s < S; ++s) ys[s] = (xs[s] - mean) * scale + shift;
      }
    }
    return;
  }

  STRATA_CHECK(m > 1, "batchnorm in train mode needs more than one value per channel, got input "
                          << x.shape().str() << "; use a batch size above 1");
  float* mp = mean_.data();
  float* ip = invstd_.data();
  const float mom = o_.momentum;
  const double unbias = static_cast<double>(m) / static_cast<double>(m - 1);
#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const float* xs = xp + (i * C + c) * S;
      for (int64_t s = 0; s < S; ++s) sum += xs[s];
    }
    const double mean = sum / static_cast<double>(m);
    double sq = 0.0;  // two passes: no cancellation when |mean| >> std
    for (int64_t i = 0; i < n; ++i) {
      const float* xs = xp + (i * C + c) * S;
      for (int64_t s = 0; s < S; ++s) {
        const double d = xs[s] - mean;
        sq += d * d;
      }
    }
    const double var = sq / static_cast<double>(m);  // biased: what normalises the batch
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    mp[c] = static_cast<float>(mean);
    ip[c] = inv;
    const float meanf = static_cast<float>(mean);
    const float scale = (g ? g[c] : 1.0f) * inv;
    const float shift = b ? b[c] : 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float* xs = xp + (i * C + c) * S;
      float* ys = yp + (i * C + c) * S;
      for (int64_t s = 0; s < S; ++s) ys[s] = (xs[s] - meanf) * scale + shift;
    }
    rm[c] = (1.0f - mom) * rm[c] + mom * meanf;
    rv[c] = (1.0f - mom) * rv[c] + mom * static_cast<float>(var * unbias);  // unbiased
  }
}

void BatchNorm::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                         const StepContext& ctx) {
  const int64_t n = x.dim(0), C = c_, S = spatial_, m = n * S;
  const bool pgrads = ctx.param_grads && o_.affine;
  if (!pgrads && !dx) return;
  const float* xp = x.data();
  const float* gp = dy.data();
  float* dp = dx ? dx->data() : nullptr;
  const float* g = o_.affine ? gamma_.data() : nullptr;
  float* dg = pgrads ? dgamma_.data() : nullptr;
  float* db = pgrads ? dbeta_.data() : nullptr;
  const float* rm = running_mean_.data();
  const float* rv = running_var_.data();
  const float* mp = mean_.data();
  const float* ip = invstd_.data();
  const bool train = ctx.training;
  const double eps = o_.eps;

#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t c = 0; c < C; ++c) {
    // Train mode: the statistics of the forward's batch; eval mode: the running statistics.
    const float mean = train ? mp[c] : rm[c];
    const float inv = train ? ip[c] : static_cast<float>(1.0 / std::sqrt(rv[c] + eps));
    double sdy = 0.0, sdyx = 0.0;  // sum(dy), sum(dy * xhat)
    if (train || pgrads) {
      for (int64_t i = 0; i < n; ++i) {
        const float* xs = xp + (i * C + c) * S;
        const float* gs = gp + (i * C + c) * S;
        for (int64_t s = 0; s < S; ++s) {
          sdy += gs[s];
          sdyx += static_cast<double>(gs[s]) * ((xs[s] - mean) * inv);
        }
      }
    }
    if (pgrads) {
      dg[c] += static_cast<float>(sdyx);
      db[c] += static_cast<float>(sdy);
    }
    if (!dp) continue;
    const float k = (g ? g[c] : 1.0f) * inv;
    if (train) {
      // Through the batch statistics: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy*xhat))
      const float a = static_cast<float>(sdy / static_cast<double>(m));
      const float bx = static_cast<float>(sdyx / static_cast<double>(m));
      for (int64_t i = 0; i < n; ++i) {
        const float* xs = xp + (i * C + c) * S;
        const float* gs = gp + (i * C + c) * S;
        float* ds = dp + (i * C + c) * S;
        for (int64_t s = 0; s < S; ++s) ds[s] = k * (gs[s] - a - (xs[s] - mean) * inv * bx);
      }
    } else {  // fixed statistics: an affine map
      for (int64_t i = 0; i < n; ++i) {
        const float* gs = gp + (i * C + c) * S;
        float* ds = dp + (i * C + c) * S;
        for (int64_t s = 0; s < S; ++s) ds[s] = k * gs[s];
      }
    }
  }
}

}  // namespace strata
