#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/losses/loss.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

constexpr testing::GradCheckOptions kLossCheck{.eps = 1e-2f, .atol = 1e-4f, .rtol = 1e-2f};

// The textbook form, -t log s - (1 - t) log(1 - s), in double: independent of the stable form
// the loss uses, and fine for moderate logits.
double naive_bce(double z, double t) {
  const double s = 1.0 / (1.0 + std::exp(-z));
  return -t * std::log(s) - (1.0 - t) * std::log(1.0 - s);
}

TEST(BCEWithLogitsLoss, HandComputed) {
  float zv[3] = {0, 2, -1}, tv[3] = {1, 0, 0.5f};
  Tensor z = Tensor::view(zv, Shape{3, 1}), t = Tensor::view(tv, Shape{3, 1}), d(Shape{3, 1});
  // z=0,t=1: log 2 = 0.693147; z=2,t=0: 2 + log(1 + e^-2) = 2.126928;
  // z=-1,t=0.5: 0.5 + log(1 + e^-1) = 0.813262. Mean (3.633337) / 3 = 1.211112.
  const double expect = (naive_bce(0, 1) + naive_bce(2, 0) + naive_bce(-1, 0.5)) / 3.0;
  EXPECT_NEAR(expect, 1.211112, 1e-6);
  BCEWithLogitsLoss loss;
  EXPECT_NEAR(loss.forward_backward(z, t, d), expect, 1e-6);
  EXPECT_NEAR(loss.forward(z, t), expect, 1e-6);
  // dL/dz = (sigmoid(z) - t) / 3: (0.5 - 1) / 3, (0.880797 - 0) / 3, (0.268941 - 0.5) / 3.
  EXPECT_NEAR(d[0], -0.5 / 3, 1e-7);
  EXPECT_NEAR(d[1], 0.8807971 / 3, 1e-7);
  EXPECT_NEAR(d[2], (0.2689414 - 0.5) / 3, 1e-7);
}

TEST(BCEWithLogitsLoss, ExtremeLogitsAreFiniteAndExact) {
  float zv[6] = {1e4f, -1e4f, 1e4f, -1e4f, 100.0f, -100.0f};
  float tv[6] = {1, 0, 0, 1, 1, 0.25f};
  Tensor z = Tensor::view(zv, Shape{2, 3}), t = Tensor::view(tv, Shape{2, 3}), d(Shape{2, 3});
  // Per element, max(z,0) - z t + log(1 + exp(-|z|)):
  //   1e4,t=1: 0;  -1e4,t=0: 0;  1e4,t=0: 1e4;  -1e4,t=1: 1e4;
  //   100,t=1: log(1 + e^-100) ~ 3.7e-44;  -100,t=0.25: 25 + ~0 = 25.
  // Mean (20025) / 6 = 3337.5.
  BCEWithLogitsLoss loss;
  const float l = loss.forward_backward(z, t, d);
  ASSERT_TRUE(std::isfinite(l));
  EXPECT_FLOAT_EQ(l, 3337.5f);
  EXPECT_FLOAT_EQ(loss.forward(z, t), 3337.5f);
  // dL/dz = (sigmoid(z) - t) / 6: {0, 0, 1/6, -1/6, 0, -0.25/6}.
  const float expect_d[6] = {0, 0, 1.0f / 6, -1.0f / 6, 0, -0.25f / 6};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(std::isfinite(d[i])) << i;
    EXPECT_NEAR(d[i], expect_d[i], 1e-7) << i;
  }
}

TEST(BCEWithLogitsLoss, GradientCheck) {
  Tensor z(Shape{5, 4}), t(Shape{5, 4});
  testing::fill_random(z, 21, 2.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(i % 5) / 4.0f;  // 0..1
  BCEWithLogitsLoss loss;
  EXPECT_EQ(testing::check_loss_gradient(loss, z, t, kLossCheck), 0);
}

TEST(BCEWithLogitsLoss, LargeTensorMatchesDoubleReference) {
  Tensor z(Shape{32, 2048}), t(Shape{32, 2048}), d(Shape{32, 2048});
  testing::fill_random(z, 22, 3.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = (i % 3 == 0) ? 1.0f : 0.0f;
  double ref = 0.0;
  for (int64_t i = 0; i < z.numel(); ++i) ref += naive_bce(z[i], t[i]);
  ref /= static_cast<double>(z.numel());
  BCEWithLogitsLoss loss;
  EXPECT_NEAR(loss.forward_backward(z, t, d), ref, 1e-5 * ref);
  const double s = 1.0 / (1.0 + std::exp(-double(z[777])));
  EXPECT_NEAR(d[777], (s - t[777]) / z.numel(), 1e-11);
}

TEST(BCEWithLogitsLoss, ShapeMismatchNamesBothShapes) {
  Tensor z(Shape{4, 1}), t(Shape{4}), d(Shape{4, 1});
  BCEWithLogitsLoss loss;
  try {
    loss.forward_backward(z, t, d);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("[4, 1]"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[4]"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace strata
