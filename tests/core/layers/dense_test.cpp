#include <gtest/gtest.h>

#include "core/error.h"
#include "core/layers/dense.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

TEST(Dense, ForwardMatchesHandComputed) {
  Dense d(DenseOptions{.units = 2});
  d.build(Shape{1, 3});
  float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -1};
  float gw[6] = {}, gb[2] = {};
  Tensor p[2] = {Tensor::view(w, Shape{2, 3}), Tensor::view(b, Shape{2})};
  Tensor g[2] = {Tensor::view(gw, Shape{2, 3}), Tensor::view(gb, Shape{2})};
  d.bind(p, g);
  float xv[3] = {1, 0, -1};
  Tensor x = Tensor::view(xv, Shape{1, 3}), y(Shape{1, 2});
  d.forward(x, y, StepContext{});
  EXPECT_FLOAT_EQ(y[0], 1 - 3 + 0.5f);
  EXPECT_FLOAT_EQ(y[1], 4 - 6 - 1);
}

TEST(Dense, RejectsUnflattenedInput) {
  Dense d(DenseOptions{.units = 4});
  EXPECT_THROW(d.build(Shape{1, 1, 28, 28}), Error);
}

TEST(Dense, GradientCheck) {
  Dense d(DenseOptions{.units = 5});
  EXPECT_EQ(testing::check_layer_gradients(d, Shape{4, 7}), 0);
}

TEST(Dense, GradientCheckWithoutBias) {
  Dense d(DenseOptions{.units = 3, .bias = false});
  EXPECT_EQ(testing::check_layer_gradients(d, Shape{2, 6}), 0);
}

}  // namespace
}  // namespace strata
