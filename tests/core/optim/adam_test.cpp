#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/optim/optimizer.h"

namespace strata {
namespace {

// Adam / AdamW written out in double from the papers (Kingma & Ba, Algorithm 1; Loshchilov &
// Hutter, decoupled decay as in PyTorch's AdamW), one scalar parameter at a time.
struct RefAdam {
  double lr, b1, b2, eps, wd;
  bool decoupled;
  double m = 0, v = 0;
  int t = 0;
  double step(double p, double g) {
    ++t;
    if (decoupled) {
      p = p * (1 - lr * wd);
    } else {
      g = g + wd * p;
    }
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const double m_hat = m / (1 - std::pow(b1, t)), v_hat = v / (1 - std::pow(b2, t));
    return p - lr * m_hat / (std::sqrt(v_hat) + eps);
  }
};

void expect_matches_reference(const AdamOptions& o, std::vector<float> p0,
                              const std::vector<std::vector<float>>& grads, double tol) {
  Adam opt(o);
  std::vector<float> p = p0;
  std::vector<RefAdam> ref(p.size(),
                           RefAdam{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.decoupled});
  std::vector<double> rp(p0.begin(), p0.end());
  Tensor pt = Tensor::view(p.data(), Shape{static_cast<int64_t>(p.size())});
  for (std::vector<float> g : grads) {
    Tensor gt = Tensor::view(g.data(), Shape{static_cast<int64_t>(g.size())});
    opt.step(pt, gt);
    for (size_t i = 0; i < p.size(); ++i) {
      rp[i] = ref[i].step(rp[i], g[i]);
      EXPECT_NEAR(p[i], rp[i], tol) << "step " << opt.steps() << " parameter " << i;
    }
  }
}

TEST(Adam, FirstStepsHandComputed) {
  Adam opt(AdamOptions{.lr = 0.1f});
  std::vector<float> p = {1}, g = {0.5f};
  Tensor pt = Tensor::view(p.data(), Shape{1}), gt = Tensor::view(g.data(), Shape{1});
  // t=1, g=0.5: m = 0.05, v = 0.00025; m_hat = 0.5, v_hat = 0.25;
  //   p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.9 (+2e-9).
  opt.step(pt, gt);
  EXPECT_NEAR(p[0], 0.9, 1e-7);
  // t=2, g=-1: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975;
  //   m_hat = -0.055 / 0.19 = -0.2894737, v_hat = 0.00124975 / 0.001999 = 0.6251876,
  //   sqrt = 0.7906881; p = 0.9 + 0.1 * 0.2894737 / 0.7906881 = 0.9366103.
  g[0] = -1;
  opt.step(pt, gt);
  EXPECT_NEAR(p[0], 0.9366103, 2e-7);
}

TEST(Adam, MatchesReferenceOverThreeSteps) {
  expect_matches_reference(AdamOptions{.lr = 0.01f}, {1, -2, 0.5f, 0},
                           {{0.5f, -0.1f, 2, 0}, {-1, 0.3f, 1.5f, 0.01f}, {0.2f, 0.2f, -3, 0}},
                           1e-6);
}

TEST(Adam, L2WeightDecayMatchesReference) {
  expect_matches_reference(AdamOptions{.lr = 0.05f, .beta1 = 0.8f, .weight_decay = 0.1f},
                           {1, -2, 0.5f}, {{0.5f, -0.1f, 2}, {-1, 0.3f, 1.5f}, {0.2f, 0.2f, -3}},
                           1e-6);
}

TEST(AdamW, DecoupledWeightDecayMatchesReference) {
  expect_matches_reference(AdamOptions{.lr = 0.05f, .weight_decay = 0.5f, .decoupled = true},
                           {1, -2, 0.5f}, {{0.5f, -0.1f, 2}, {-1, 0.3f, 1.5f}, {0.2f, 0.2f, -3}},
                           1e-6);
}

TEST(AdamW, FirstStepHandComputed) {
  Adam opt(AdamOptions{.lr = 0.1f, .weight_decay = 0.5f, .decoupled = true});
  EXPECT_STREQ(opt.kind(), "adamw");
  std::vector<float> p = {2}, g = {0.5f};
  Tensor pt = Tensor::view(p.data(), Shape{1}), gt = Tensor::view(g.data(), Shape{1});
  // p = 2 (1 - 0.1 * 0.5) = 1.9, then the Adam step: m_hat / sqrt(v_hat) = 1 -> p = 1.8.
  // (Adam's L2 form would instead see g' = 0.5 + 0.5 * 2 = 1.5, and give 2 - 0.1 = 1.9.)
  opt.step(pt, gt);
  EXPECT_NEAR(p[0], 1.8, 1e-6);
}

TEST(Adam, State) {
  Adam opt(AdamOptions{.lr = 0.1f});
  EXPECT_STREQ(opt.kind(), "adam");
  auto st = opt.state();
  ASSERT_EQ(st.size(), 3u);
  ASSERT_EQ(st[2]->numel(), 1);
  EXPECT_EQ((*st[2])[0], 0.0f);
  std::vector<float> p = {1, 1}, g = {0.5f, -2};
  Tensor pt = Tensor::view(p.data(), Shape{2}), gt = Tensor::view(g.data(), Shape{2});
  opt.step(pt, gt);
  opt.step(pt, gt);
  st = opt.state();
  // m = 0.1 g then 0.09 g + 0.1 g = 0.19 g: {0.095, -0.38}.
  // v = 0.001 g^2 then (0.000999 + 0.001) g^2 = 0.001999 g^2: {0.00049975, 0.007996}.
  ASSERT_EQ(st[0]->numel(), 2);
  ASSERT_EQ(st[1]->numel(), 2);
  EXPECT_FLOAT_EQ((*st[0])[0], 0.095f);
  EXPECT_FLOAT_EQ((*st[0])[1], -0.38f);
  // (Relative tolerance 1e-4: the float 0.999f makes 1 - beta2 = 0.00099998713, not 0.001.)
  EXPECT_NEAR((*st[1])[0], 0.00049975, 0.00049975 * 1e-4);
  EXPECT_NEAR((*st[1])[1], 0.007996, 0.007996 * 1e-4);
  EXPECT_EQ((*st[2])[0], 2.0f);
  EXPECT_EQ(opt.steps(), 2);
}

TEST(Adam, ResumesFromCopiedState) {
  // The step count travels in the state: bias correction continues at t = 3, not t = 1.
  AdamOptions o{.lr = 0.1f, .weight_decay = 0.1f, .decoupled = true};
  Adam a(o), b(o);
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

TEST(Adam, SizeMismatchIsAnError) {
  Adam opt(AdamOptions{});
  std::vector<float> p = {1, 2, 3}, g = {1, 1, 1};
  Tensor pt = Tensor::view(p.data(), Shape{3}), gt = Tensor::view(g.data(), Shape{3});
  opt.step(pt, gt);
  Tensor p2 = Tensor::view(p.data(), Shape{2}), g2 = Tensor::view(g.data(), Shape{2});
  try {
    opt.step(p2, g2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("3 parameters"), std::string::npos) << e.message();
  }
  EXPECT_THROW(opt.step(pt, g2), Error);  // params and grads differ
}

TEST(Adam, RejectsBadOptions) {
  EXPECT_THROW(Adam(AdamOptions{.beta1 = 1.0f}), Error);
  EXPECT_THROW(Adam(AdamOptions{.beta2 = -0.1f}), Error);
  EXPECT_THROW(Adam(AdamOptions{.lr = -1.0f}), Error);
}

TEST(Adam, LargeBufferMatchesReference) {
  // Above the parallel threshold.
  const int64_t n = 100000;
  Tensor p(Shape{n}), g(Shape{n});
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(i % 17) * 0.25f - 2.0f;
  AdamOptions o{.lr = 0.01f, .weight_decay = 0.01f, .decoupled = true};
  Adam opt(o);
  std::vector<RefAdam> ref(n, RefAdam{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, true});
  std::vector<double> rp(n);
  for (int64_t i = 0; i < n; ++i) rp[i] = p[i];
  for (int s = 0; s < 3; ++s) {
    for (int64_t i = 0; i < n; ++i) g[i] = static_cast<float>((i + 7 * s) % 13) * 0.1f - 0.6f;
    opt.step(p, g);
    for (int64_t i = 0; i < n; ++i) rp[i] = ref[i].step(rp[i], g[i]);
  }
  for (int64_t i = 0; i < n; i += 997) EXPECT_NEAR(p[i], rp[i], 1e-5) << i;
}

}  // namespace
}  // namespace strata
