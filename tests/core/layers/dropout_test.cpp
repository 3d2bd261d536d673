#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/layers/dropout.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

StepContext train_ctx(uint64_t step, int64_t sample_offset = 0, uint64_t seed = 42) {
  StepContext c;
  c.training = true;
  c.seed = seed;
  c.step = step;
  c.sample_offset = sample_offset;
  return c;
}

// Runs a Dropout (layer index `index`) on an all-ones batch of n samples of `per` values.
Tensor drop_ones(float rate, int64_t n, int64_t per, const StepContext& ctx, uint32_t index = 3) {
  Dropout d(rate);
  d.set_index(index);
  const Shape s{n, per};
  d.build(s);
  testing::setup_layer(d, s);
  Tensor x(s), y(s);
  x.fill(1.0f);
  d.forward(x, y, ctx);
  return y;
}

TEST(Dropout, RejectsRateOutsideZeroToOne) {
  EXPECT_THROW(Dropout(1.0f), Error);
  EXPECT_THROW(Dropout(1.5f), Error);
  EXPECT_THROW(Dropout(-0.1f), Error);
  EXPECT_NO_THROW(Dropout(0.0f));
  EXPECT_NO_THROW(Dropout(0.99f));
}

TEST(Dropout, KeepsAboutOneMinusRateAndScales) {
  const float rate = 0.3f;
  Tensor y = drop_ones(rate, 64, 1000, train_ctx(7));
  int64_t kept = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (y[i] != 0.0f) {
      ++kept;
      EXPECT_FLOAT_EQ(y[i], 1.0f / (1.0f - rate)) << i;
    }
  }
  const double frac = static_cast<double>(kept) / static_cast<double>(y.numel());
  // 64000 Bernoulli(0.7) draws: the standard deviation of the fraction is about 0.0018.
  EXPECT_NEAR(frac, 0.7, 0.01);
}

TEST(Dropout, RateZeroIsIdentityInTraining) {
  Tensor y = drop_ones(0.0f, 4, 50, train_ctx(1));
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y[i], 1.0f);
}

TEST(Dropout, SameMaskWhenTheBatchIsSplit) {
  // One rank with 8 samples, or two ranks with 4 each (global offsets 100 and 104): the same
  // (seed, step, global sample index) gives the same mask.
  // 8 x 3001 values: the whole batch takes the parallel path, each half the serial one.
  const int64_t per = 3001;
  Tensor whole = drop_ones(0.5f, 8, per, train_ctx(5, 100));
  Tensor first = drop_ones(0.5f, 4, per, train_ctx(5, 100));
  Tensor second = drop_ones(0.5f, 4, per, train_ctx(5, 104));
  int64_t bad = 0;
  for (int64_t i = 0; i < 4 * per; ++i) {
    bad += whole[i] != first[i];
    bad += whole[4 * per + i] != second[i];
  }
  EXPECT_EQ(bad, 0);
}

TEST(Dropout, MaskChangesWithStepSampleSeedAndLayer) {
  auto differs = [](const Tensor& a, const Tensor& b) {
    int64_t d = 0;
    for (int64_t i = 0; i < a.numel(); ++i) d += a[i] != b[i];
    return d;
  };
  Tensor base = drop_ones(0.5f, 4, 100, train_ctx(5));
  EXPECT_GT(differs(base, drop_ones(0.5f, 4, 100, train_ctx(6))), 100);         // another step
  EXPECT_GT(differs(base, drop_ones(0.5f, 4, 100, train_ctx(5, 4))), 100);      // other samples
  EXPECT_GT(differs(base, drop_ones(0.5f, 4, 100, train_ctx(5, 0, 43))), 100);  // another seed
  EXPECT_GT(differs(base, drop_ones(0.5f, 4, 100, train_ctx(5), 4)), 100);      // another layer
  EXPECT_EQ(differs(base, drop_ones(0.5f, 4, 100, train_ctx(5))), 0);           // deterministic
}

TEST(Dropout, MaskDoesNotDependOnSampleShape) {
  // The mask is one uniform per value of a sample in order, so [N, 24] and [N, 2, 3, 4] agree.
  Dropout a(0.4f), b(0.4f);
  const Shape flat{3, 24}, img{3, 2, 3, 4};
  a.build(flat);
  testing::setup_layer(a, flat);
  b.build(img);
  testing::setup_layer(b, img);
  Tensor xa(flat), ya(flat), xb(img), yb(img);
  testing::fill_random(xa, 1);
  xb.copy_from(xa);
  a.forward(xa, ya, train_ctx(2));
  b.forward(xb, yb, train_ctx(2));
  for (int64_t i = 0; i < ya.numel(); ++i) EXPECT_EQ(ya[i], yb[i]);
}

TEST(Dropout, BackwardUsesTheForwardMask) {
  Dropout d(0.25f);
  const Shape s{5, 20};
  d.build(s);
  testing::setup_layer(d, s);
  Tensor x(s), y(s), dy(s), dx(s);
  testing::fill_random(x, 1, 1.0f, 0.1f);
  testing::fill_random(dy, 2);
  d.forward(x, y, train_ctx(3));
  d.backward(x, y, dy, &dx, train_ctx(3));
  for (int64_t i = 0; i < s.numel(); ++i) EXPECT_FLOAT_EQ(dx[i], dy[i] * (y[i] / x[i])) << i;
  d.backward(x, y, dy, nullptr, train_ctx(3));  // no dx wanted: nothing to do, no crash
}

TEST(Dropout, EvalModeIsIdentity) {
  Dropout d(0.5f);
  const Shape s{3, 2, 4, 4};
  d.build(s);
  testing::setup_layer(d, s);
  Tensor x(s), y(s), dx(s);
  testing::fill_random(x, 4);
  StepContext eval;
  eval.training = false;
  d.forward(x, y, eval);
  for (int64_t i = 0; i < s.numel(); ++i) EXPECT_EQ(y[i], x[i]);
  d.backward(x, y, x, &dx, eval);
  for (int64_t i = 0; i < s.numel(); ++i) EXPECT_EQ(dx[i], x[i]);
}

TEST(Dropout, GradientCheckTrain) {
  Dropout d(0.3f);  // a fixed StepContext makes train mode deterministic
  EXPECT_EQ(testing::check_layer_gradients(d, Shape{4, 3, 5, 5}), 0);
  Dropout big(0.3f);  // above the parallel threshold
  testing::GradCheckOptions opt;
  opt.max_checks = 40;
  EXPECT_EQ(testing::check_layer_gradients(big, Shape{16, 4, 16, 16}, opt), 0);
}

TEST(Dropout, GradientCheckEval) {
  Dropout d(0.3f);
  testing::GradCheckOptions opt;
  opt.training = false;
  EXPECT_EQ(testing::check_layer_gradients(d, Shape{4, 30}, opt), 0);
}

}  // namespace
}  // namespace strata
