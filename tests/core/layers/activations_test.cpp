#include <gtest/gtest.h>

#include <string>

#include <cmath>

#include "core/layers/activations.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

TEST(Activation, ForwardValues) {
  float xv[4] = {-2, -0.5f, 0.5f, 2};
  Tensor x = Tensor::view(xv, Shape{1, 4}), y(Shape{1, 4});
  Activation relu(ActivationKind::kReLU), leaky(ActivationKind::kLeakyReLU, 0.2f),
      sig(ActivationKind::kSigmoid), th(ActivationKind::kTanh);
  relu.forward(x, y, {});
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[3], 2.0f);
  leaky.forward(x, y, {});
  EXPECT_FLOAT_EQ(y[0], -0.4f);
  EXPECT_FLOAT_EQ(y[2], 0.5f);
  sig.forward(x, y, {});
  EXPECT_FLOAT_EQ(y[1], 1.0f / (1.0f + std::exp(0.5f)));
  th.forward(x, y, {});
  EXPECT_FLOAT_EQ(y[3], std::tanh(2.0f));
}

TEST(Activation, LargeTensorsMatchTheScalarDefinitionBitForBit) {
  // Big enough for the parallel, vectorised loops (branch-free selects); values of both signs
  // and zeros, compared exactly with the definitions of activations.h.
  const int64_t n = 3 * 16384 + 5;
  Tensor x(Shape{1, n}), y(Shape{1, n}), dy(Shape{1, n}), dx(Shape{1, n});
  testing::fill_random(x, 1);
  testing::fill_random(dy, 2);
  for (int64_t i = 0; i < n; i += 97) x[i] = 0.0f;
  const float s = 0.2f;
  Activation relu(ActivationKind::kReLU), leaky(ActivationKind::kLeakyReLU, s);
  relu.forward(x, y, {});
  relu.backward(x, y, dy, &dx, {});
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(y[i], x[i] > 0.0f ? x[i] : 0.0f) << i;
    ASSERT_EQ(dx[i], y[i] > 0.0f ? dy[i] : 0.0f) << i;
  }
  leaky.forward(x, y, {});
  leaky.backward(x, y, dy, &dx, {});
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(y[i], x[i] > 0.0f ? x[i] : s * x[i]) << i;
    ASSERT_EQ(dx[i], y[i] > 0.0f ? dy[i] : s * dy[i]) << i;
  }
}

class ActivationGrad : public ::testing::TestWithParam<ActivationKind> {};

TEST_P(ActivationGrad, GradientCheck) {
  Activation a(GetParam(), 0.2f);
  // Inputs kept 0.05 away from 0 so the central difference (eps 0.01) never crosses a kink.
  EXPECT_EQ(testing::check_layer_gradients(a, Shape{3, 2, 4, 4}, {}, 0.05f), 0);
}

INSTANTIATE_TEST_SUITE_P(All, ActivationGrad,
                         ::testing::Values(ActivationKind::kReLU, ActivationKind::kLeakyReLU,
                                           ActivationKind::kSigmoid, ActivationKind::kTanh),
                         [](const auto& info) {
                           switch (info.param) {
                             case ActivationKind::kReLU:
                               return std::string("relu");
                             case ActivationKind::kLeakyReLU:
                               return std::string("leaky_relu");
                             case ActivationKind::kSigmoid:
                               return std::string("sigmoid");
                             case ActivationKind::kTanh:
                               return std::string("tanh");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace strata
