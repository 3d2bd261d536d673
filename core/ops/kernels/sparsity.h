// The sparsity penalty kernels' bodies (core/ops/sparsity.cu), the CPU op's expressions
// (core/ops/sparsity.cpp), compiled for the host and the GPU; tested on the CPU by
// tests/core/ops/kernels/losses_test.cpp. Column sums take one thread per unit, adding its rows
// in row order in double as the CPU does, so the sums and means are the CPU's bit for bit; the
// values are block sums (core/ops/kernels/losses.h).
#pragma once

#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "core/ops/kernels/losses.h"

namespace strata {

// The clamp of the mean activations (the CPU op's bounds; the tests check that they agree).
inline constexpr float kSparsityRhoMin = 1e-6f, kSparsityRhoMax = 1.0f - 1e-6f;

// std::clamp(v, kSparsityRhoMin, kSparsityRhoMax), NaN passing through as there.
STRATA_HD inline float clamp_rho(float v) {
  return v < kSparsityRhoMin ? kSparsityRhoMin : (kSparsityRhoMax < v ? kSparsityRhoMax : v);
}

// sum_r x[r, c] over n rows of j, in row order, in double.
STRATA_HD inline double column_sum(const float* x, int64_t n, int64_t j, int64_t c) {
  double acc = 0.0;
  for (int64_t r = 0; r < n; ++r) acc += x[r * j + c];
  return acc;
}

// Over the j units: sums[c] = sum_r x[r, c].
struct ColumnSumsBody {
  const float* x;
  int64_t n, j;
  float* sums;
  STRATA_HD void operator()(int64_t c) const {
    sums[c] = static_cast<float>(column_sum(x, n, j, c));
  }
};

// Over the j units: rho_hat[c] = clamp(sum_r x[r, c] / n).
struct ColumnMeansBody {
  const float* x;
  int64_t n, j;
  float* rho_hat;
  STRATA_HD void operator()(int64_t c) const {
    rho_hat[c] = clamp_rho(static_cast<float>(column_sum(x, n, j, c) / static_cast<double>(n)));
  }
};

// Over the j units, in place: s[c] = clamp(s[c] / count).
struct MeansFromSumsBody {
  float* s;
  double count;
  STRATA_HD void operator()(int64_t c) const { s[c] = clamp_rho(static_cast<float>(s[c] / count)); }
};

// |x| in double (the L1 value's term).
struct AbsTerm {
  const float* x;
  STRATA_HD double operator()(int64_t i) const { return std::fabs(x[i]); }
};

// weight * s / n (the L1 value).
struct L1Finish {
  float weight;
  int64_t n;
  STRATA_HD float operator()(double s) const {
    return static_cast<float>(weight * s / static_cast<double>(n));
  }
};

// (w / N) sign(x), with scale = w / N.
STRATA_HD inline float l1_grad(float x, float scale) {
  return x > 0.0f ? scale : (x < 0.0f ? -scale : 0.0f);
}

struct L1AddGradBody {
  const float* x;
  float* d;
  float scale;  // sparsity_grad_scale(args)
  STRATA_HD void operator()(int64_t i) const { d[i] += l1_grad(x[i], scale); }
};

// KL(rho || rh) of one unit, in double.
struct KlTerm {
  const float* rho_hat;
  double rho;
  STRATA_HD double operator()(int64_t c) const {
    const double rh = rho_hat[c];
    return mul_rn(rho, std::log(rho / rh)) + mul_rn(1.0 - rho, std::log((1.0 - rho) / (1.0 - rh)));
  }
};

// weight * s (the KL value).
struct KlFinish {
  float weight;
  STRATA_HD float operator()(double s) const { return static_cast<float>(weight * s); }
};

// Over the j units, in place: rho_hat[c] -> (w / N) (-rho / rh + (1 - rho) / (1 - rh)).
struct KlCoefBody {
  float* coef;
  float scale;  // sparsity_grad_scale(args)
  float rho;
  STRATA_HD void operator()(int64_t c) const {
    const float rh = coef[c];
    coef[c] = scale * (-rho / rh + (1.0f - rho) / (1.0f - rh));
  }
};

// Over the n j values: d[r, c] += coef[c].
struct KlAddGradBody {
  const float* coef;
  float* d;
  int64_t j;
  STRATA_HD void operator()(int64_t i) const { d[i] += coef[i % j]; }
};

// w / N, N this rank's samples.
inline float sparsity_grad_scale(float weight, int64_t n) {
  return weight / static_cast<float>(n);
}

}  // namespace strata
