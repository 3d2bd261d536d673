#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/losses/loss.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

constexpr testing::GradCheckOptions kLossCheck{.eps = 1e-2f, .atol = 1e-4f, .rtol = 1e-2f};

TEST(SoftmaxCrossEntropyLoss, HandComputed) {
  float zv[6] = {1, 2, 3, 0, 0, 0}, tv[2] = {2, 1};
  Tensor z = Tensor::view(zv, Shape{2, 3}), t = Tensor::view(tv, Shape{2}), d(Shape{2, 3});
  // Row 0: sum e^z = e + e^2 + e^3 = 30.192880; l0 = log(30.192880) - 3 = 0.407606.
  // Row 1: l1 = log 3 - 0 = 1.098612.  Mean: (0.407606 + 1.098612) / 2 = 0.753109.
  const double s0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const double l0 = std::log(s0) - 3.0, l1 = std::log(3.0);
  EXPECT_NEAR((l0 + l1) / 2, 0.753109, 1e-6);
  SoftmaxCrossEntropyLoss loss;
  EXPECT_NEAR(loss.forward_backward(z, t, d), (l0 + l1) / 2, 1e-6);
  EXPECT_NEAR(loss.forward(z, t), (l0 + l1) / 2, 1e-6);
  // dL/dz = (softmax - onehot) / 2: row 0 {0.090031, 0.244728, 0.665241 - 1} / 2,
  // row 1 {1/3, 1/3 - 1, 1/3} / 2.
  const double expect_d[6] = {std::exp(1.0) / s0 / 2,
                              std::exp(2.0) / s0 / 2,
                              (std::exp(3.0) / s0 - 1) / 2,
                              1.0 / 6,
                              -1.0 / 3,
                              1.0 / 6};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(d[i], expect_d[i], 1e-7) << i;
  EXPECT_NEAR(expect_d[0], 0.090031 / 2, 1e-6);
}

TEST(SoftmaxCrossEntropyLoss, AcceptsColumnTargets) {
  float zv[4] = {0, 0, 0, 0}, tv[2] = {0, 1};
  Tensor z = Tensor::view(zv, Shape{2, 2}), t = Tensor::view(tv, Shape{2, 1});
  SoftmaxCrossEntropyLoss loss;
  EXPECT_NEAR(loss.forward(z, t), std::log(2.0), 1e-7);
}

TEST(SoftmaxCrossEntropyLoss, HugeLogitsAreStable) {
  float zv[6] = {1000, 0, -1000, 1000, 0, -1000}, tv[2] = {0, 1};
  Tensor z = Tensor::view(zv, Shape{2, 3}), t = Tensor::view(tv, Shape{2}), d(Shape{2, 3});
  // Row 0 picks the max: l = 0. Row 1: l = 1000 - 0 = 1000 (e^-1000 terms vanish). Mean 500.
  SoftmaxCrossEntropyLoss loss;
  EXPECT_FLOAT_EQ(loss.forward_backward(z, t, d), 500.0f);
  // softmax rows are {1, 0, 0}: dz = {0, 0, 0} and {1, -1, 0} / 2.
  const float expect_d[6] = {0, 0, 0, 0.5f, -0.5f, 0};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(d[i], expect_d[i], 1e-7) << i;
}

TEST(SoftmaxCrossEntropyLoss, GradientCheck) {
  Tensor z(Shape{6, 5}), t(Shape{6});
  testing::fill_random(z, 31, 2.0f);
  for (int64_t i = 0; i < 6; ++i) t[i] = static_cast<float>((i * 3) % 5);
  SoftmaxCrossEntropyLoss loss;
  EXPECT_EQ(testing::check_loss_gradient(loss, z, t, kLossCheck), 0);
}

TEST(SoftmaxCrossEntropyLoss, LargeBatchMatchesDoubleReference) {
  const int64_t n = 4096, k = 10;
  Tensor z(Shape{n, k}), t(Shape{n}), d(Shape{n, k});
  testing::fill_random(z, 32, 3.0f);
  for (int64_t i = 0; i < n; ++i) t[i] = static_cast<float>(i % k);
  double ref = 0.0;
  for (int64_t r = 0; r < n; ++r) {
    double s = 0.0;
    for (int64_t j = 0; j < k; ++j) s += std::exp(double(z[r * k + j]));
    ref += std::log(s) - z[r * k + static_cast<int64_t>(t[r])];
  }
  ref /= n;
  SoftmaxCrossEntropyLoss loss;
  EXPECT_NEAR(loss.forward_backward(z, t, d), ref, 1e-5 * ref);
  EXPECT_NEAR(loss.forward(z, t), ref, 1e-5 * ref);
  double row = 0.0;  // each gradient row sums to 0
  for (int64_t j = 0; j < k; ++j) row += d[1234 * k + j];
  EXPECT_NEAR(row, 0.0, 1e-9);
}

void expect_target_error(float bad, const std::string& shown) {
  float zv[6] = {}, tv[2] = {0, bad};
  Tensor z = Tensor::view(zv, Shape{2, 3}), t = Tensor::view(tv, Shape{2}), d(Shape{2, 3});
  SoftmaxCrossEntropyLoss loss;
  try {
    loss.forward_backward(z, t, d);
    FAIL() << "no error for target " << bad;
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("sample 1"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(shown), std::string::npos) << e.message();
  }
  EXPECT_THROW(loss.forward(z, t), Error);
}

TEST(SoftmaxCrossEntropyLoss, RejectsBadTargets) {
  expect_target_error(3.0f, "3");    // == K
  expect_target_error(-1.0f, "-1");  // negative
  expect_target_error(1.5f, "1.5");  // not an integer
  expect_target_error(NAN, "nan");
}

TEST(SoftmaxCrossEntropyLoss, ShapeMismatchNamesBothShapes) {
  Tensor z(Shape{4, 3}), t(Shape{3}), d(Shape{4, 3});
  SoftmaxCrossEntropyLoss loss;
  try {
    loss.forward_backward(z, t, d);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("[4, 3]"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[3]"), std::string::npos) << e.message();
  }
  Tensor z3(Shape{4, 3, 2});
  EXPECT_THROW(loss.forward(z3, t), Error);
}

}  // namespace
}  // namespace strata
