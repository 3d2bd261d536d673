#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/optim/optimizer.h"

namespace strata {
namespace {

// Runs one step per gradient list on the parameters p (one value per parameter), returning the
// parameters after each step.
std::vector<std::vector<float>> run(Optimizer& opt, std::vector<float> p,
                                    std::initializer_list<std::vector<float>> grads) {
  std::vector<std::vector<float>> out;
  Tensor pt = Tensor::view(p.data(), Shape{static_cast<int64_t>(p.size())});
  for (std::vector<float> g : grads) {
    Tensor gt = Tensor::view(g.data(), Shape{static_cast<int64_t>(g.size())});
    opt.step(pt, gt);
    out.push_back(p);
  }
  return out;
}

TEST(SGD, Plain) {
  SGD opt(SGDOptions{.lr = 0.1f});
  // p -= 0.1 g: {1, -2} - 0.1 {0.5, 0.25} = {0.95, -2.025}; then - 0.1 {-1, 1} = {1.05, -2.125}.
  auto p = run(opt, {1, -2}, {{0.5f, 0.25f}, {-1, 1}});
  EXPECT_FLOAT_EQ(p[0][0], 0.95f);
  EXPECT_FLOAT_EQ(p[0][1], -2.025f);
  EXPECT_FLOAT_EQ(p[1][0], 1.05f);
  EXPECT_FLOAT_EQ(p[1][1], -2.125f);
  EXPECT_EQ(opt.steps(), 2);
}

TEST(SGD, Momentum) {
  SGD opt(SGDOptions{.lr = 0.1f, .momentum = 0.9f});
  // g = 1:    v = g (PyTorch's first step) = 1;     p = 1 - 0.1 * 1 = 0.9
  // g = 0.5:  v = 0.9 * 1 + 0.5 = 1.4;              p = 0.9 - 0.14 = 0.76
  // g = -1:   v = 0.9 * 1.4 - 1 = 0.26;             p = 0.76 - 0.026 = 0.734
  auto p = run(opt, {1}, {{1}, {0.5f}, {-1}});
  EXPECT_FLOAT_EQ(p[0][0], 0.9f);
  EXPECT_FLOAT_EQ(p[1][0], 0.76f);
  EXPECT_FLOAT_EQ(p[2][0], 0.734f);
}

TEST(SGD, Nesterov) {
  SGD opt(SGDOptions{.lr = 0.1f, .momentum = 0.9f, .nesterov = true});
  // p -= lr (g + mu v), v as in the momentum test:
  // g = 1:   v = 1;    p = 1 - 0.1 (1 + 0.9)            = 0.81
  // g = 0.5: v = 1.4;  p = 0.81 - 0.1 (0.5 + 1.26)      = 0.634
  // g = -1:  v = 0.26; p = 0.634 - 0.1 (-1 + 0.234)     = 0.7106
  auto p = run(opt, {1}, {{1}, {0.5f}, {-1}});
  EXPECT_FLOAT_EQ(p[0][0], 0.81f);
  EXPECT_FLOAT_EQ(p[1][0], 0.634f);
  EXPECT_FLOAT_EQ(p[2][0], 0.7106f);
}

TEST(SGD, WeightDecay) {
  {
    SGD opt(SGDOptions{.lr = 0.1f, .weight_decay = 0.5f});
    // g' = 0 + 0.5 p: p = 2 - 0.1 * 1 = 1.9; p = 1.9 - 0.1 * 0.95 = 1.805.
    auto p = run(opt, {2}, {{0}, {0}});
    EXPECT_FLOAT_EQ(p[0][0], 1.9f);
    EXPECT_FLOAT_EQ(p[1][0], 1.805f);
  }
  SGD opt(SGDOptions{.lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.1f});
  // g = 1:   g' = 1 + 0.1 * 1 = 1.1;          v = 1.1;                 p = 1 - 0.11 = 0.89
  // g = 0.5: g' = 0.5 + 0.089 = 0.589;        v = 0.99 + 0.589 = 1.579; p = 0.89 - 0.1579 = 0.7321
  // g = -1:  g' = -1 + 0.07321 = -0.92679;    v = 1.4211 - 0.92679 = 0.49431;
  //          p = 0.7321 - 0.049431 = 0.682669
  auto p = run(opt, {1}, {{1}, {0.5f}, {-1}});
  EXPECT_FLOAT_EQ(p[0][0], 0.89f);
  EXPECT_FLOAT_EQ(p[1][0], 0.7321f);
  EXPECT_FLOAT_EQ(p[2][0], 0.682669f);
}

TEST(SGD, UsesTheCurrentLearningRate) {
  SGD opt(SGDOptions{.lr = 0.1f});
  opt.set_lr(0.5f);  // a schedule
  auto p = run(opt, {1}, {{1}});
  EXPECT_FLOAT_EQ(p[0][0], 0.5f);
}

TEST(SGD, State) {
  SGD opt(SGDOptions{.lr = 0.1f, .momentum = 0.9f});
  auto st = opt.state();
  ASSERT_EQ(st.size(), 2u);
  ASSERT_EQ(st[1]->numel(), 1);
  EXPECT_EQ((*st[1])[0], 0.0f);
  run(opt, {1, 2}, {{1, -1}, {0.5f, 2}});
  st = opt.state();
  // velocity: {1, -1} then {0.9 + 0.5, -0.9 + 2} = {1.4, 1.1}; step count 2.
  ASSERT_EQ(st[0]->numel(), 2);
  EXPECT_FLOAT_EQ((*st[0])[0], 1.4f);
  EXPECT_FLOAT_EQ((*st[0])[1], 1.1f);
  EXPECT_EQ((*st[1])[0], 2.0f);
}

TEST(SGD, ResumesFromCopiedState) {
  SGD a(SGDOptions{.lr = 0.1f, .momentum = 0.9f, .nesterov = true});
  SGD b(SGDOptions{.lr = 0.1f, .momentum = 0.9f, .nesterov = true});
  std::vector<float> p = {1, -1, 0.5f}, g = {0.3f, -0.7f, 1.1f};
  Tensor pt = Tensor::view(p.data(), Shape{3}), gt = Tensor::view(g.data(), Shape{3});
  a.step(pt, gt);
  a.step(pt, gt);
  auto sa = a.state(), sb = b.state();
  for (size_t i = 0; i < sa.size(); ++i) {  // as a checkpoint loader would
    sb[i]->resize(sa[i]->shape());
    sb[i]->copy_from(*sa[i]);
  }
  std::vector<float> q = p;
  Tensor qt = Tensor::view(q.data(), Shape{3});
  a.step(pt, gt);
  b.step(qt, gt);
  EXPECT_EQ(b.steps(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p[i], q[i]) << i;
}

TEST(SGD, SizeMismatchIsAnError) {
  SGD opt(SGDOptions{.lr = 0.1f, .momentum = 0.9f});
  run(opt, {1, 2}, {{1, 1}});
  try {
    run(opt, {1, 2, 3}, {{1, 1, 1}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("2"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("3"), std::string::npos) << e.message();
  }
  std::vector<float> p = {1, 2}, g = {1};
  Tensor pt = Tensor::view(p.data(), Shape{2}), gt = Tensor::view(g.data(), Shape{1});
  EXPECT_THROW(opt.step(pt, gt), Error);
}

TEST(SGD, RejectsBadOptions) {
  EXPECT_THROW(SGD(SGDOptions{.lr = -1.0f}), Error);
  EXPECT_THROW(SGD(SGDOptions{.lr = 0.1f, .nesterov = true}), Error);  // no momentum
}

TEST(SGD, LargeBufferMatchesReference) {
  // Above the parallel threshold.
  const int64_t n = 100000;
  Tensor p(Shape{n}), g(Shape{n});
  for (int64_t i = 0; i < n; ++i) {
    p[i] = static_cast<float>(i % 17) - 8.0f;
    g[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
  }
  std::vector<double> rp(n), rv(n, 0.0);
  for (int64_t i = 0; i < n; ++i) rp[i] = p[i];
  SGD opt(SGDOptions{.lr = 0.05f, .momentum = 0.8f, .weight_decay = 0.01f, .nesterov = true});
  for (int s = 0; s < 3; ++s) {
    opt.step(p, g);
    for (int64_t i = 0; i < n; ++i) {
      const double gi = g[i] + 0.01 * rp[i];
      rv[i] = 0.8 * rv[i] + gi;
      rp[i] -= 0.05 * (gi + 0.8 * rv[i]);
    }
  }
  for (int64_t i = 0; i < n; i += 997) EXPECT_NEAR(p[i], rp[i], 1e-5) << i;
}

}  // namespace
}  // namespace strata
