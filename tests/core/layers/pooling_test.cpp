#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "core/layers/pooling.h"
#include "core/sequential.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

// Builds a parameterless layer for `in`, sizes its scratch and runs forward.
Tensor run_forward(Layer& l, const Tensor& x, const StepContext& ctx = {}) {
  Shape out = l.build(x.shape());
  testing::setup_layer(l, x.shape());
  Tensor y(out);
  l.forward(x, y, ctx);
  return y;
}

TEST(MaxPool2D, ForwardNonOverlapping) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  Tensor x = Tensor::view(v.data(), Shape{1, 1, 4, 4});
  MaxPool2D pool(MaxPool2DOptions{});
  Tensor y = run_forward(pool, x);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y[0], 5.0f);
  EXPECT_EQ(y[1], 7.0f);
  EXPECT_EQ(y[2], 13.0f);
  EXPECT_EQ(y[3], 15.0f);
}

TEST(MaxPool2D, PaddingCountsAsMinusInfinity) {
  // All values negative: if padding counted as 0, the border windows would output 0.
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = -1.0f - static_cast<float>(i);
  Tensor x = Tensor::view(v.data(), Shape{1, 1, 4, 4});
  // Kernel 3, stride 2, pad 1: windows rows/cols {-1,0,1} and {1,2,3}, overlapping at 1.
  MaxPool2D pool(MaxPool2DOptions{
      .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
  Tensor y = run_forward(pool, x);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(y[0], -1.0f);  // x[0, 0]
  EXPECT_EQ(y[1], -2.0f);  // x[0, 1]
  EXPECT_EQ(y[2], -5.0f);  // x[1, 0]
  EXPECT_EQ(y[3], -6.0f);  // x[1, 1]
}

TEST(MaxPool2D, BackwardAccumulatesOverlappingWindows) {
  // 3x3 plane with its maximum in the centre; kernel 3, stride 1, pad 1: all 9 windows pick it.
  float v[9] = {0, 1, 2, 3, 10, 4, 5, 6, 7};
  Tensor x = Tensor::view(v, Shape{1, 1, 3, 3});
  MaxPool2D pool(MaxPool2DOptions{
      .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .pad_h = 1, .pad_w = 1});
  Tensor y = run_forward(pool, x);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 3, 3}));
  for (int i = 0; i < 9; ++i) EXPECT_EQ(y[i], 10.0f);
  Tensor dy(y.shape()), dx(x.shape());
  for (int i = 0; i < 9; ++i) dy[i] = static_cast<float>(i + 1);
  dx.fill(-99.0f);  // overwritten, not accumulated into
  pool.backward(x, y, dy, &dx, {});
  for (int i = 0; i < 9; ++i) EXPECT_EQ(dx[i], i == 4 ? 45.0f : 0.0f) << i;
}

TEST(MaxPool2D, GradientCheckOverlappingWithPadding) {
  MaxPool2D pool(MaxPool2DOptions{
      .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
  testing::GradCheckOptions opt;
  opt.eps = 1e-3f;  // max is piecewise linear: a small step rarely crosses a tie
  EXPECT_EQ(testing::check_layer_gradients(pool, Shape{2, 3, 7, 7}, opt), 0);
}

TEST(MaxPool2D, GradientCheckRectangular) {
  MaxPool2D pool(MaxPool2DOptions{
      .kernel_h = 2, .kernel_w = 3, .stride_h = 2, .stride_w = 1, .pad_h = 0, .pad_w = 1});
  testing::GradCheckOptions opt;
  opt.eps = 1e-3f;
  EXPECT_EQ(testing::check_layer_gradients(pool, Shape{3, 2, 6, 5}, opt), 0);
}

TEST(MaxPool2D, GradientCheckLargeEnoughToRunInParallel) {
  MaxPool2D pool(MaxPool2DOptions{
      .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
  testing::GradCheckOptions opt;
  opt.eps = 1e-3f;
  opt.max_checks = 100;
  EXPECT_EQ(testing::check_layer_gradients(pool, Shape{4, 8, 16, 16}, opt), 0);
}

TEST(MaxPool2D, OutputShape) {
  MaxPool2D pool(MaxPool2DOptions{
      .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
  EXPECT_EQ(pool.build(Shape{1, 8, 28, 28}), (Shape{1, 8, 14, 14}));
  MaxPool2D p2(MaxPool2DOptions{});
  EXPECT_EQ(p2.build(Shape{1, 8, 7, 7}), (Shape{1, 8, 3, 3}));  // floor, as PyTorch
}

TEST(MaxPool2D, RejectsBadShapesAndOptions) {
  MaxPool2D pool(MaxPool2DOptions{});
  EXPECT_THROW(pool.build(Shape{1, 784}), Error);
  EXPECT_THROW(pool.build(Shape{1, 4, 1, 1}), Error);  // kernel larger than input
  EXPECT_THROW(
      MaxPool2D(MaxPool2DOptions{
          .kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2, .pad_h = 2, .pad_w = 0}),
      Error);  // padding above half the kernel
  EXPECT_THROW(MaxPool2D(MaxPool2DOptions{.kernel_h = 0}), Error);
  EXPECT_THROW(MaxPool2D(MaxPool2DOptions{.stride_h = 0}), Error);
  try {
    pool.build(Shape{1, 784});
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("[N, C, H, W]"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[1, 784]"), std::string::npos) << e.message();
  }
}

TEST(Upsample2D, ForwardAndBackwardHandComputed) {
  float v[4] = {1, 2, 3, 4};
  Tensor x = Tensor::view(v, Shape{1, 1, 2, 2});
  Upsample2D up(Upsample2DOptions{.scale_h = 2, .scale_w = 3});
  Tensor y = run_forward(up, x);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 6}));
  const float expect[24] = {1, 1, 1, 2, 2, 2,  //
                            1, 1, 1, 2, 2, 2,  //
                            3, 3, 3, 4, 4, 4,  //
                            3, 3, 3, 4, 4, 4};
  for (int i = 0; i < 24; ++i) EXPECT_EQ(y[i], expect[i]) << i;
  Tensor dy(y.shape()), dx(x.shape());
  for (int i = 0; i < 24; ++i) dy[i] = static_cast<float>(i);
  up.backward(x, y, dy, &dx, {});
  // Block sums: rows {0,1} x cols {0,1,2} = (0+1+2) + (6+7+8) = 24, and so on.
  EXPECT_EQ(dx[0], 24.0f);
  EXPECT_EQ(dx[1], 42.0f);
  EXPECT_EQ(dx[2], 96.0f);
  EXPECT_EQ(dx[3], 114.0f);
}

TEST(Upsample2D, GradientCheck) {
  Upsample2D up(Upsample2DOptions{.scale_h = 2, .scale_w = 2});
  EXPECT_EQ(testing::check_layer_gradients(up, Shape{2, 3, 4, 5}), 0);
  Upsample2D up2(Upsample2DOptions{.scale_h = 1, .scale_w = 3});
  EXPECT_EQ(testing::check_layer_gradients(up2, Shape{2, 2, 3, 3}), 0);
  Upsample2D big(Upsample2DOptions{.scale_h = 2, .scale_w = 2});  // above the parallel threshold
  testing::GradCheckOptions opt;
  opt.max_checks = 40;
  EXPECT_EQ(testing::check_layer_gradients(big, Shape{4, 8, 16, 16}, opt), 0);
}

TEST(Upsample2D, RejectsBadShapesAndOptions) {
  Upsample2D up(Upsample2DOptions{});
  EXPECT_THROW(up.build(Shape{2, 10}), Error);
  EXPECT_THROW(Upsample2D(Upsample2DOptions{.scale_h = 0}), Error);
}

TEST(Pooling, ShapeErrorNamesTheLayerInAModel) {
  Sequential m;
  m.add(std::make_unique<MaxPool2D>(MaxPool2DOptions{}));
  try {
    m.build(Shape{784}, 1);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("0.maxpool2d"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace strata
