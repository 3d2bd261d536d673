// scale, axpy and sigmoid_mean against plain loops.
#include "core/ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/cpu_threads.h"
#include "core/ops/bce_logits.h"

namespace strata {
namespace {

std::vector<float> ramp(int64_t n) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 0.25f + 0.01f * static_cast<float>(i);
  return v;
}

TEST(ElementwiseOps, ScaleAxpyAndSigmoidMean) {
  const int64_t n = kParallelMin + 5;  // above the parallel threshold
  std::vector<float> x = ramp(n), y = ramp(n);
  for (float& v : y) v = -v;
  std::vector<float> want_scaled(n), want_axpy(n);
  for (int64_t i = 0; i < n; ++i) {
    want_scaled[i] = x[i] * 0.5f;
    want_axpy[i] = y[i] + 3.0f * x[i];
  }
  std::vector<float> scaled = x;
  scale(cpu_backend(), scaled.data(), n, 0.5f);
  EXPECT_EQ(scaled, want_scaled);
  axpy(cpu_backend(), 3.0f, x.data(), y.data(), n);
  EXPECT_EQ(y, want_axpy);

  const std::vector<float> z = {0.0f, 2.0f, -2.0f, 40.0f};
  float mean = std::nanf("");
  sigmoid_mean(cpu_backend(), static_cast<int64_t>(z.size()), z.data(), &mean);
  // s(2) + s(-2) = 1, s(0) = 0.5, s(40) = 1 to float precision.
  EXPECT_NEAR(mean, 2.5f / 4.0f, 1e-7f);
}

}  // namespace
}  // namespace strata
