#include <gtest/gtest.h>

#include <memory>

#include "core/layers/dense.h"
#include "core/losses/penalties.h"
#include "core/sequential.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

TEST(L2WeightDecay, HandComputedSkipsBiases) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 2}));
  m.build(Shape{2}, 1);
  auto& np = m.named_params();
  ASSERT_EQ(np.size(), 2u);  // weight [2, 2] (decay), bias [2] (no decay)
  ASSERT_TRUE(np[0].decay);
  ASSERT_FALSE(np[1].decay);
  const float w[4] = {1, -2, 3, 0.5f};
  for (int i = 0; i < 4; ++i) np[0].value[i] = w[i];
  np[1].value[0] = 10;
  np[1].value[1] = -10;
  m.zero_grads();
  np[0].grad[0] = 1;  // decay adds to what is there
  // 0.5 * 0.1 * (1 + 4 + 9 + 0.25) = 0.7125; biases do not count.
  EXPECT_FLOAT_EQ(apply_l2_weight_decay(m, 0.1f), 0.7125f);
  // grad += 0.1 w: {1 + 0.1, -0.2, 0.3, 0.05}; bias gradients stay 0.
  EXPECT_FLOAT_EQ(np[0].grad[0], 1.1f);
  EXPECT_FLOAT_EQ(np[0].grad[1], -0.2f);
  EXPECT_FLOAT_EQ(np[0].grad[2], 0.3f);
  EXPECT_FLOAT_EQ(np[0].grad[3], 0.05f);
  EXPECT_EQ(np[1].grad[0], 0.0f);
  EXPECT_EQ(np[1].grad[1], 0.0f);
  EXPECT_EQ(apply_l2_weight_decay(m, 0.0f), 0.0f);
}

TEST(L2WeightDecay, GradientCheck) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 3}));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 2}));
  m.build(Shape{4}, 2);
  const float lambda = 0.3f;
  auto f = [&](const Tensor& w) {
    m.params().copy_from(w);
    m.zero_grads();
    return apply_l2_weight_decay(m, lambda);
  };
  auto grad = [&](const Tensor& w, Tensor& g) {
    m.params().copy_from(w);
    m.zero_grads();
    apply_l2_weight_decay(m, lambda);
    g.copy_from(m.grads());
  };
  Tensor w0(m.params().shape());
  testing::fill_random(w0, 51);
  EXPECT_EQ(testing::check_function_gradient(f, grad, w0, "l2 weight decay",
                                             {.eps = 1e-2f, .atol = 1e-4f, .rtol = 1e-2f}),
            0);
}

}  // namespace
}  // namespace strata
