// Tests of BatchNorm on one rank's batch: hand-computed forward passes, running statistics,
// gradient checks in train and eval mode, and rejected shapes and options. The synchronised
// (cross-rank) path is tested in batchnorm_sync_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"
#include "core/layers/batchnorm.h"
#include "tests/core/layers/batchnorm_fixture.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

using testing::Bn;
using testing::kEps;
using testing::mode;

TEST(BatchNorm, ParamsAndState) {
  BatchNorm bn(BatchNormOptions{});
  EXPECT_EQ(bn.build(Shape{1, 3, 5, 5}), (Shape{1, 3, 5, 5}));
  auto specs = bn.param_specs();
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].name, "weight");
  EXPECT_EQ(specs[0].init.kind, InitSpec::Kind::kOnes);
  EXPECT_FALSE(specs[0].decay);
  EXPECT_EQ(specs[1].name, "bias");
  EXPECT_EQ(specs[1].init.kind, InitSpec::Kind::kZeros);
  EXPECT_FALSE(specs[1].decay);
  auto st = bn.state();
  ASSERT_EQ(st.size(), 2u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ((*st[0])[c], 0.0f);
    EXPECT_EQ((*st[1])[c], 1.0f);
  }
  BatchNorm plain(BatchNormOptions{.affine = false});
  plain.build(Shape{1, 4});
  EXPECT_TRUE(plain.param_specs().empty());
}

TEST(BatchNorm, Forward1DTrainHandComputed) {
  Bn bn(Shape{2, 2});
  bn.gamma[0] = 2.0f;
  bn.beta[0] = 0.5f;
  float v[4] = {1, 2, 3, 6};  // channel 0: {1, 3}, mean 2, var 1; channel 1: {2, 6}, mean 4, var 4
  Tensor x = Tensor::view(v, Shape{2, 2}), y(Shape{2, 2});
  bn.layer.forward(x, y, mode(true));
  EXPECT_NEAR(y[0], 2.0f * -1.0f / std::sqrt(1.0f + kEps) + 0.5f, 1e-6);
  EXPECT_NEAR(y[2], 2.0f * 1.0f / std::sqrt(1.0f + kEps) + 0.5f, 1e-6);
  EXPECT_NEAR(y[1], -2.0f / std::sqrt(4.0f + kEps), 1e-6);
  EXPECT_NEAR(y[3], 2.0f / std::sqrt(4.0f + kEps), 1e-6);
}

TEST(BatchNorm, Forward2DTrainHandComputed) {
  Bn bn(Shape{2, 2, 1, 2});
  bn.beta[1] = 0.25f;
  // [N=2, C=2, H=1, W=2]. Channel 0 = {1, 3, 5, 7}: mean 4, var 5. Channel 1 constant 2: var 0.
  float v[8] = {1, 3, 2, 2, 5, 7, 2, 2};
  Tensor x = Tensor::view(v, Shape{2, 2, 1, 2}), y(x.shape());
  bn.layer.forward(x, y, mode(true));
  const float s = 1.0f / std::sqrt(5.0f + kEps);
  const float expect[8] = {-3 * s, -1 * s, 0.25f, 0.25f, 1 * s, 3 * s, 0.25f, 0.25f};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[i], expect[i], 1e-6) << i;
  // One step of momentum 0.1 from (0, 1); the variance is unbiased: 5 * 4 / 3.
  EXPECT_NEAR(bn.running_mean()[0], 0.4f, 1e-6);
  EXPECT_NEAR(bn.running_mean()[1], 0.2f, 1e-6);
  EXPECT_NEAR(bn.running_var()[0], 0.9f + 0.1f * 20.0f / 3.0f, 1e-6);
  EXPECT_NEAR(bn.running_var()[1], 0.9f, 1e-6);
}

TEST(BatchNorm, RunningStatisticsAfterTwoTrainSteps) {
  Bn bn(Shape{2, 2});
  Tensor y(Shape{2, 2});
  // Step 1: channel means {2, 4}, unbiased variances {2, 8}.
  float a[4] = {1, 2, 3, 6};
  bn.layer.forward(Tensor::view(a, Shape{2, 2}), y, mode(true));
  EXPECT_NEAR(bn.running_mean()[0], 0.2f, 1e-6);
  EXPECT_NEAR(bn.running_mean()[1], 0.4f, 1e-6);
  EXPECT_NEAR(bn.running_var()[0], 0.9f * 1 + 0.1f * 2, 1e-6);
  EXPECT_NEAR(bn.running_var()[1], 0.9f * 1 + 0.1f * 8, 1e-6);
  // Step 2: channel 0 = {0, 4} (mean 2, unbiased var 8), channel 1 = {0, 2} (mean 1, var 2).
  float b[4] = {0, 0, 4, 2};
  bn.layer.forward(Tensor::view(b, Shape{2, 2}), y, mode(true));
  EXPECT_NEAR(bn.running_mean()[0], 0.9f * 0.2f + 0.1f * 2, 1e-6);  // 0.38
  EXPECT_NEAR(bn.running_mean()[1], 0.9f * 0.4f + 0.1f * 1, 1e-6);  // 0.46
  EXPECT_NEAR(bn.running_var()[0], 0.9f * 1.1f + 0.1f * 8, 1e-6);   // 1.79
  EXPECT_NEAR(bn.running_var()[1], 0.9f * 1.7f + 0.1f * 2, 1e-6);   // 1.73
  // Eval mode reads the running statistics and leaves them alone.
  bn.layer.forward(Tensor::view(b, Shape{2, 2}), y, mode(false));
  EXPECT_NEAR(bn.running_mean()[0], 0.38f, 1e-6);
  EXPECT_NEAR(y[2], (4.0f - 0.38f) / std::sqrt(1.79f + kEps), 1e-5);
  EXPECT_NEAR(y[1], (0.0f - 0.46f) / std::sqrt(1.73f + kEps), 1e-5);
}

TEST(BatchNorm, EvalForwardUsesRunningStatistics) {
  Bn bn(Shape{3, 2, 2, 2});
  bn.running_mean()[0] = 1.0f;
  bn.running_mean()[1] = -2.0f;
  bn.running_var()[0] = 4.0f;
  bn.running_var()[1] = 0.25f;
  bn.gamma[1] = 3.0f;
  bn.beta[0] = -1.0f;
  Tensor x(Shape{3, 2, 2, 2}), y(x.shape());
  testing::fill_random(x, 3);
  bn.layer.forward(x, y, mode(false));
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int c = static_cast<int>((i / 4) % 2);
    const float want = c == 0 ? (x[i] - 1.0f) / std::sqrt(4.0f + kEps) - 1.0f
                              : 3.0f * (x[i] + 2.0f) / std::sqrt(0.25f + kEps);
    EXPECT_NEAR(y[i], want, 1e-5) << i;
  }
}

TEST(BatchNorm, GradientCheck1DTrain) {
  BatchNorm bn(BatchNormOptions{});
  EXPECT_EQ(testing::check_layer_gradients(bn, Shape{6, 5}), 0);
}

TEST(BatchNorm, GradientCheck1DEval) {
  BatchNorm bn(BatchNormOptions{});
  testing::GradCheckOptions opt;
  opt.training = false;
  EXPECT_EQ(testing::check_layer_gradients(bn, Shape{4, 3}, opt), 0);
}

TEST(BatchNorm, GradientCheck2DTrain) {
  BatchNorm bn(BatchNormOptions{});
  EXPECT_EQ(testing::check_layer_gradients(bn, Shape{3, 4, 3, 3}), 0);
}

TEST(BatchNorm, GradientCheck2DEval) {
  BatchNorm bn(BatchNormOptions{});
  testing::GradCheckOptions opt;
  opt.training = false;
  EXPECT_EQ(testing::check_layer_gradients(bn, Shape{2, 3, 4, 4}, opt), 0);
}

TEST(BatchNorm, GradientCheckLargeEnoughToRunInParallel) {
  testing::GradCheckOptions opt;
  opt.max_checks = 40;  // each check is two forwards; a few spread over the tensor suffice
  BatchNorm bn(BatchNormOptions{});
  EXPECT_EQ(testing::check_layer_gradients(bn, Shape{8, 16, 12, 12}, opt), 0);
  BatchNorm bn1(BatchNormOptions{});
  EXPECT_EQ(testing::check_layer_gradients(bn1, Shape{64, 300}, opt), 0);
}

TEST(BatchNorm, GradientCheckWithoutAffine) {
  BatchNorm bn2(BatchNormOptions{.affine = false});
  EXPECT_EQ(testing::check_layer_gradients(bn2, Shape{2, 3, 3, 2}), 0);
  BatchNorm bn1(BatchNormOptions{.affine = false});
  EXPECT_EQ(testing::check_layer_gradients(bn1, Shape{5, 4}), 0);
}

// check_layer_gradients builds the layer afresh (running statistics 0 and 1), so eval mode with
// other running statistics is checked here directly.
TEST(BatchNorm, EvalGradientWithNontrivialRunningStatistics) {
  const Shape in{3, 2, 2, 3};
  Bn bn(in);
  bn.running_mean()[0] = 0.7f;
  bn.running_mean()[1] = -0.3f;
  bn.running_var()[0] = 2.5f;
  bn.running_var()[1] = 0.4f;
  bn.gamma[0] = 1.5f;
  bn.gamma[1] = -0.8f;
  bn.beta[1] = 0.2f;
  Tensor r(in), y(in), x(in);
  testing::fill_random(r, 5);
  testing::fill_random(x, 6);
  const StepContext eval = mode(false);
  auto f = [&](const Tensor& xv) {
    bn.layer.forward(xv, y, eval);
    double s = 0;
    for (int64_t i = 0; i < y.numel(); ++i) s += static_cast<double>(y[i]) * r[i];
    return static_cast<float>(s);
  };
  auto grad = [&](const Tensor& xv, Tensor& g) {
    bn.layer.forward(xv, y, eval);
    bn.layer.backward(xv, y, r, &g, eval);
  };
  EXPECT_EQ(testing::check_function_gradient(f, grad, x, "batchnorm eval dL/dx"), 0);
  // dgamma = sum(r * xhat), dbeta = sum(r), both with the running statistics.
  bn.dgamma.fill(0.0f);
  bn.dbeta.fill(0.0f);
  Tensor dx(in);
  bn.layer.forward(x, y, eval);
  bn.layer.backward(x, y, r, &dx, eval);
  for (int c = 0; c < 2; ++c) {
    double dg = 0, db = 0;
    for (int n = 0; n < 3; ++n)
      for (int s = 0; s < 6; ++s) {
        const int64_t i = (n * 2 + c) * 6 + s;
        dg += r[i] * (x[i] - bn.running_mean()[c]) / std::sqrt(bn.running_var()[c] + kEps);
        db += r[i];
      }
    EXPECT_NEAR(bn.dgamma[c], dg, 1e-4);
    EXPECT_NEAR(bn.dbeta[c], db, 1e-4);
  }
}

TEST(BatchNorm, BackwardAccumulatesAndRespectsParamGrads) {
  const Shape in{4, 3};
  Bn bn(in);
  Tensor x(in), y(in), dy(in), dx1(in), dx2(in);
  testing::fill_random(x, 11);
  testing::fill_random(dy, 12);
  bn.layer.forward(x, y, mode(true));
  bn.layer.backward(x, y, dy, &dx1, mode(true));
  const float g0 = bn.dgamma[0], b0 = bn.dbeta[0];
  EXPECT_NE(g0, 0.0f);
  bn.layer.backward(x, y, dy, nullptr, mode(true));  // accumulates, no dx
  EXPECT_FLOAT_EQ(bn.dgamma[0], 2 * g0);
  EXPECT_FLOAT_EQ(bn.dbeta[0], 2 * b0);
  bn.layer.backward(x, y, dy, &dx2, mode(true, false));  // frozen: dx only
  EXPECT_FLOAT_EQ(bn.dgamma[0], 2 * g0);
  EXPECT_FLOAT_EQ(bn.dbeta[0], 2 * b0);
  for (int64_t i = 0; i < dx1.numel(); ++i) EXPECT_FLOAT_EQ(dx1[i], dx2[i]);
  // Train-mode dx sums to zero over each channel (the mean is subtracted).
  for (int c = 0; c < 3; ++c) {
    double s = 0;
    for (int n = 0; n < 4; ++n) s += dx1[n * 3 + c];
    EXPECT_NEAR(s, 0.0, 1e-5);
  }
}

TEST(BatchNorm, RejectsBadShapesAndOptions) {
  BatchNorm bn(BatchNormOptions{});
  EXPECT_THROW(bn.build(Shape{1, 28, 28}), Error);
  try {
    bn.build(Shape{1, 28, 28});
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("[N, C, H, W]"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[1, 28, 28]"), std::string::npos) << e.message();
  }
  EXPECT_THROW(BatchNorm(BatchNormOptions{.momentum = 1.5f}), Error);
  EXPECT_THROW(BatchNorm(BatchNormOptions{.eps = 0.0f}), Error);
}

TEST(BatchNorm, TrainModeNeedsMoreThanOneValuePerChannel) {
  Bn bn(Shape{1, 3});
  Tensor x(Shape{1, 3}), y(Shape{1, 3});
  EXPECT_THROW(bn.layer.forward(x, y, mode(true)), Error);
  EXPECT_NO_THROW(bn.layer.forward(x, y, mode(false)));
}

}  // namespace
}  // namespace strata
