// The host mirror of the GPU's deterministic block sum: exact on integers, accurate on floats,
// and independent of nothing but n (the same bits every call).
#include "core/ops/kernels/block_sum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace strata {
namespace {

TEST(BlockSum, AddsEveryTermOnce) {
  for (int64_t n :
       {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{100003}}) {
    const double s = block_sum_on_host(n, [](int64_t i) { return static_cast<double>(i + 1); });
    EXPECT_EQ(s, static_cast<double>(n) * (n + 1) / 2) << n;
  }
}

TEST(BlockSum, IsAccurateAndRepeatable) {
  const int64_t n = 200704;
  auto term = [](int64_t i) { return static_cast<double>(std::sin(0.001f * i)); };
  double exact = 0.0;
  for (int64_t i = 0; i < n; ++i) exact += term(i);
  const double a = block_sum_on_host(n, term), b = block_sum_on_host(n, term);
  EXPECT_EQ(a, b);
  EXPECT_NEAR(a, exact, 1e-9 * n);
}

}  // namespace
}  // namespace strata
