#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/losses/loss.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

// Loss gradients are O(1/n): a tolerance tighter than the layer default keeps the check meaningful.
constexpr testing::GradCheckOptions kLossCheck{.eps = 1e-2f, .atol = 1e-4f, .rtol = 1e-2f};

TEST(MSELoss, HandComputed) {
  float pv[4] = {1, 2, 3, 4}, tv[4] = {0, 2, 1, 6};
  Tensor p = Tensor::view(pv, Shape{2, 2}), t = Tensor::view(tv, Shape{2, 2}), d(Shape{2, 2});
  MSELoss loss;
  // diffs {1, 0, 2, -2}, squares {1, 0, 4, 4}: sum 9, mean 9 / 4 = 2.25.
  EXPECT_FLOAT_EQ(loss.forward_backward(p, t, d), 2.25f);
  EXPECT_FLOAT_EQ(loss.forward(p, t), 2.25f);
  // dL/dp = 2 diff / 4 = {0.5, 0, 1, -1}.
  EXPECT_FLOAT_EQ(d[0], 0.5f);
  EXPECT_FLOAT_EQ(d[1], 0.0f);
  EXPECT_FLOAT_EQ(d[2], 1.0f);
  EXPECT_FLOAT_EQ(d[3], -1.0f);
}

TEST(MSELoss, SizesAnEmptyGradientTensor) {
  float pv[2] = {1, 1}, tv[2] = {0, 0};
  Tensor p = Tensor::view(pv, Shape{1, 2}), t = Tensor::view(tv, Shape{1, 2}), d;
  MSELoss loss;
  EXPECT_FLOAT_EQ(loss.forward_backward(p, t, d), 1.0f);
  ASSERT_EQ(d.shape(), p.shape());
  EXPECT_FLOAT_EQ(d[1], 1.0f);  // 2 * 1 / 2
}

TEST(MSELoss, GradientCheck) {
  Tensor p(Shape{4, 6}), t(Shape{4, 6});
  testing::fill_random(p, 11);
  testing::fill_random(t, 12);
  MSELoss loss;
  EXPECT_EQ(testing::check_loss_gradient(loss, p, t, kLossCheck), 0);
}

TEST(MSELoss, LargeTensorMatchesDoubleReference) {
  // Above the parallel threshold: the chunked parallel sum must agree with a plain double sum.
  Tensor p(Shape{64, 1000}), t(Shape{64, 1000}), d(Shape{64, 1000});
  testing::fill_random(p, 13);
  testing::fill_random(t, 14);
  double ref = 0.0;
  for (int64_t i = 0; i < p.numel(); ++i) ref += (double(p[i]) - t[i]) * (double(p[i]) - t[i]);
  ref /= static_cast<double>(p.numel());
  MSELoss loss;
  EXPECT_NEAR(loss.forward_backward(p, t, d), ref, 1e-6 * ref);
  EXPECT_NEAR(loss.forward(p, t), ref, 1e-6 * ref);
  EXPECT_FLOAT_EQ(d[12345], 2.0f * (p[12345] - t[12345]) / 64000.0f);
}

TEST(MSELoss, ShapeMismatchNamesBothShapes) {
  Tensor p(Shape{2, 3}), t(Shape{3, 2}), d(Shape{2, 3});
  MSELoss loss;
  try {
    loss.forward_backward(p, t, d);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("[2, 3]"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[3, 2]"), std::string::npos) << e.message();
  }
  EXPECT_THROW(loss.forward(p, t), Error);
}

}  // namespace
}  // namespace strata
