#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/dense.h"
#include "core/losses/penalties.h"
#include "core/sequential.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

// Weight 1 and a tight tolerance: with the default weight (1e-3) any gradient would pass.
constexpr testing::GradCheckOptions kPenaltyCheck{.eps = 1e-3f, .atol = 1e-4f, .rtol = 1e-2f};

SparsityPenalty make(SparsityOptions::Kind kind, float rho, float weight) {
  SparsityOptions o;
  o.kind = kind;
  o.rho = rho;
  o.weight = weight;
  return SparsityPenalty(o);
}

TEST(SparsityPenalty, KLHandComputed) {
  float av[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  Tensor a = Tensor::view(av, Shape{2, 2});
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.2f, 0.5f);
  // rho_hat = {(0.1 + 0.3) / 2, (0.2 + 0.4) / 2} = {0.2, 0.3}. KL_0 = 0;
  // KL_1 = 0.2 ln(0.2/0.3) + 0.8 ln(0.8/0.7) = -0.0810930 + 0.1068251 = 0.0257321.
  // value = 0.5 * 0.0257321 = 0.0128661.
  EXPECT_NEAR(p.value(a, 0), 0.5 * (0.2 * std::log(0.2 / 0.3) + 0.8 * std::log(0.8 / 0.7)), 1e-7);
  EXPECT_NEAR(p.value(a, 0), 0.0128661, 1e-7);
  // Gradient per element of unit j: (0.5 / 2) (-0.2 / rh_j + 0.8 / (1 - rh_j)):
  //   unit 0: 0.25 (-1 + 1) = 0;  unit 1: 0.25 (-0.666667 + 1.142857) = 0.119048.
  // add_grad adds to what is there (1).
  Tensor da(Shape{2, 2});
  da.fill(1.0f);
  p.add_grad(a, da, 0);
  const double g1 = 0.25 * (-0.2 / 0.3 + 0.8 / 0.7);
  EXPECT_NEAR(g1, 0.119048, 1e-6);
  EXPECT_NEAR(da[0], 1.0, 1e-6);
  EXPECT_NEAR(da[1], 1.0 + g1, 1e-6);
  EXPECT_NEAR(da[2], 1.0, 1e-6);
  EXPECT_NEAR(da[3], 1.0 + g1, 1e-6);
}

TEST(SparsityPenalty, KLClampsCollapsedUnits) {
  float av[2] = {0.0f, 1.0f};  // unit means 0 and 1: log(0) without the clamp
  Tensor a = Tensor::view(av, Shape{1, 2}), da = Tensor::zeros(Shape{1, 2});
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.05f, 1.0f);
  EXPECT_TRUE(std::isfinite(p.value(a, 0)));
  p.add_grad(a, da, 0);
  EXPECT_TRUE(std::isfinite(da[0]) && std::isfinite(da[1]));
  EXPECT_LT(da[0], 0.0f);  // pushes the dead unit up
  EXPECT_GT(da[1], 0.0f);  // and the saturated one down
}

TEST(SparsityPenalty, L1HandComputed) {
  float av[4] = {0.5f, -1.0f, 2.0f, 0.0f};
  Tensor a = Tensor::view(av, Shape{2, 2}), da = Tensor::zeros(Shape{2, 2});
  SparsityPenalty p = make(SparsityOptions::Kind::kL1, 0.05f, 0.1f);
  // sum |a| = 3.5 over N = 2 samples: 0.1 * 3.5 / 2 = 0.175.
  EXPECT_FLOAT_EQ(p.value(a, 0), 0.175f);
  // gradient 0.1 / 2 * sign(a) = {0.05, -0.05, 0.05, 0}.
  p.add_grad(a, da, 0);
  EXPECT_FLOAT_EQ(da[0], 0.05f);
  EXPECT_FLOAT_EQ(da[1], -0.05f);
  EXPECT_FLOAT_EQ(da[2], 0.05f);
  EXPECT_FLOAT_EQ(da[3], 0.0f);
}

Tensor sigmoid_activations(const Shape& s, uint32_t stream) {
  Tensor a(s);
  testing::fill_random(a, stream, 1.5f);
  for (int64_t i = 0; i < a.numel(); ++i) a[i] = 1.0f / (1.0f + std::exp(-a[i]));
  return a;
}

TEST(SparsityPenalty, KLGradientCheck) {
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.1f, 1.0f);
  Tensor a = sigmoid_activations(Shape{8, 5}, 41);
  EXPECT_EQ(testing::check_function_gradient([&](const Tensor& x) { return p.value(x, 0); },
                                             [&](const Tensor& x, Tensor& g) {
                                               g.fill(0.0f);
                                               p.add_grad(x, g, 0);
                                             },
                                             a, "sparsity kl", kPenaltyCheck),
            0);
}

TEST(SparsityPenalty, KLGradientCheckImageActivations) {
  // [N, C, H, W]: every (c, h, w) is a unit.
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.3f, 1.0f);
  Tensor a = sigmoid_activations(Shape{3, 2, 3, 3}, 42);
  EXPECT_EQ(testing::check_function_gradient([&](const Tensor& x) { return p.value(x, 0); },
                                             [&](const Tensor& x, Tensor& g) {
                                               g.fill(0.0f);
                                               p.add_grad(x, g, 0);
                                             },
                                             a, "sparsity kl 4d", kPenaltyCheck),
            0);
}

TEST(SparsityPenalty, L1GradientCheck) {
  SparsityPenalty p = make(SparsityOptions::Kind::kL1, 0.05f, 1.0f);
  Tensor a(Shape{6, 7});
  testing::fill_random(a, 43, 1.0f, 0.05f);  // kept 0.05 from the kink at 0 (eps is 1e-3)
  EXPECT_EQ(testing::check_function_gradient([&](const Tensor& x) { return p.value(x, 0); },
                                             [&](const Tensor& x, Tensor& g) {
                                               g.fill(0.0f);
                                               p.add_grad(x, g, 0);
                                             },
                                             a, "sparsity l1", kPenaltyCheck),
            0);
}

TEST(SparsityPenalty, LargeKLMatchesDoubleReference) {
  // 512 x 300 units: above the parallel threshold, and more than one block of units.
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.05f, 1.0f);
  Tensor a = sigmoid_activations(Shape{512, 300}, 44);
  double ref = 0.0;
  for (int64_t j = 0; j < 300; ++j) {
    double m = 0.0;
    for (int64_t n = 0; n < 512; ++n) m += a[n * 300 + j];
    m /= 512;
    ref += 0.05 * std::log(0.05 / m) + 0.95 * std::log(0.95 / (1 - m));
  }
  EXPECT_NEAR(p.value(a, 0), ref, 1e-5 * ref);
}

TEST(SparsityPenalty, RejectsMismatchedGradient) {
  SparsityPenalty p = make(SparsityOptions::Kind::kL1, 0.05f, 1.0f);
  Tensor a(Shape{2, 3}), da(Shape{2, 4});
  EXPECT_THROW(p.add_grad(a, da, 0), Error);
  SparsityPenalty bad = make(SparsityOptions::Kind::kKL, 1.5f, 1.0f);
  EXPECT_THROW(bad.value(a, 0), Error);
}

// Stands for the other data-parallel ranks: adds their column sums to this rank's, and records
// the count of each call.
class OtherRanks final : public CrossRankSum {
 public:
  explicit OtherRanks(std::vector<float> sums) : sums_(std::move(sums)) {}
  void sum(float* data, int64_t count) override {
    counts.push_back(count);
    ASSERT_EQ(count, static_cast<int64_t>(sums_.size()));
    for (int64_t i = 0; i < count; ++i) data[i] += sums_[i];
  }
  std::vector<int64_t> counts;

 private:
  std::vector<float> sums_;
};

// Rows [first, first + n) of a [N, J] tensor.
Tensor rows(const Tensor& a, int64_t first, int64_t n) {
  const int64_t j = a.dim(1);
  Tensor r(Shape{n, j});
  for (int64_t i = 0; i < n * j; ++i) r[i] = a[first * j + i];
  return r;
}

// This rank holds 2 of a global batch of 6 samples: the KL means are the global batch's (only
// the J column sums cross ranks; the count is the global batch size given), so the value is the
// one-rank value of the whole batch, and the gradient the whole batch's with this rank's w / n.
TEST(SparsityPenalty, KLOverRanksUsesTheGlobalBatch) {
  constexpr int64_t kN = 6, kJ = 4, kLocal = 2;
  const Tensor whole = sigmoid_activations(Shape{kN, kJ}, 49);
  std::vector<float> others(kJ, 0.0f);
  for (int64_t r = kLocal; r < kN; ++r)
    for (int64_t c = 0; c < kJ; ++c) others[c] += whole[r * kJ + c];
  const Tensor part = rows(whole, 0, kLocal);

  SparsityPenalty one = make(SparsityOptions::Kind::kKL, 0.1f, 1.0f);
  const float want = one.value(whole, 0);
  Tensor want_grad = Tensor::zeros(Shape{kN, kJ});
  one.add_grad(whole, want_grad, 0);

  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.1f, 1.0f);
  OtherRanks ranks(others);
  p.set_cross_rank_sum(&ranks);
  EXPECT_NEAR(p.value(part, kN), want, 1e-6 * std::fabs(want));
  Tensor grad = Tensor::zeros(Shape{kLocal, kJ});
  p.add_grad(part, grad, kN);
  for (int64_t i = 0; i < kLocal * kJ; ++i)  // w / 2 here, w / 6 on one rank
    EXPECT_NEAR(grad[i], want_grad[i] * 3.0f, 1e-5 * std::fabs(want_grad[i] * 3.0f) + 1e-7) << i;
  EXPECT_EQ(ranks.counts, (std::vector<int64_t>{kJ, kJ}));
}

TEST(SparsityPenalty, OverRanksNeedsTheGlobalBatch) {
  const Tensor a = sigmoid_activations(Shape{3, 2}, 50);
  Tensor da = Tensor::zeros(Shape{3, 2});
  for (auto kind : {SparsityOptions::Kind::kKL, SparsityOptions::Kind::kL1}) {
    SparsityPenalty p = make(kind, 0.1f, 1.0f);
    OtherRanks ranks({0.0f, 0.0f});
    p.set_cross_rank_sum(&ranks);
    EXPECT_THROW(p.value(a, 0), Error);  // required with a cross-rank sum
    EXPECT_THROW(p.add_grad(a, da, 0), Error);
    EXPECT_THROW(p.value(a, 2), Error);  // smaller than this rank's batch
    EXPECT_THROW(p.add_grad(a, da, 2), Error);
    EXPECT_TRUE(ranks.counts.empty()) << "thrown before the cross-rank sum";
    EXPECT_NO_THROW(p.value(a, 3));
  }
  // Without a cross-rank sum 0 means this rank's batch; a smaller global batch is still an error.
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.1f, 1.0f);
  EXPECT_EQ(p.value(a, 0), p.value(a, 3));
  EXPECT_THROW(p.value(a, 2), Error);
}

// A Dense(4) + sigmoid model whose sigmoid output is also the penalised code.
std::unique_ptr<Sequential> tiny_model() {
  auto m = std::make_unique<Sequential>();
  m->add(std::make_unique<Dense>(DenseOptions{.units = 4}));
  m->add(std::make_unique<Activation>(ActivationKind::kSigmoid));
  m->build(Shape{3}, 5);
  return m;
}

TEST(SparsityPenalty, AttachChangesTheModelGradientByThePenaltyGradient) {
  auto plain = tiny_model(), hooked = tiny_model();
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.05f, 0.5f);
  p.attach(*hooked, 1);

  Tensor x(Shape{5, 3}), dy(Shape{5, 4});
  testing::fill_random(x, 45);
  testing::fill_random(dy, 46);
  StepContext ctx;
  hooked->forward(x, ctx);
  hooked->zero_grads();
  hooked->backward(dy, ctx, false);

  // The same backward without the hook, with the penalty's gradient added to dy by hand.
  const Tensor& y = plain->forward(x, ctx);
  Tensor dy_pen(dy.shape());
  dy_pen.copy_from(dy);
  p.add_grad(y, dy_pen, 0);
  plain->zero_grads();
  plain->backward(dy_pen, ctx, false);
  ASSERT_EQ(plain->num_params(), hooked->num_params());
  for (int64_t i = 0; i < plain->num_params(); ++i)
    EXPECT_FLOAT_EQ(hooked->grads()[i], plain->grads()[i]) << i;

  // ... and it really differs from the gradient without the penalty; dy is left untouched.
  Tensor dy_copy(dy.shape());
  dy_copy.copy_from(dy);
  plain->forward(x, ctx);
  plain->zero_grads();
  plain->backward(dy, ctx, false);
  double diff = 0.0;
  for (int64_t i = 0; i < plain->num_params(); ++i)
    diff += std::fabs(hooked->grads()[i] - plain->grads()[i]);
  EXPECT_GT(diff, 1e-3);
  for (int64_t i = 0; i < dy.numel(); ++i) EXPECT_EQ(dy[i], dy_copy[i]);
}

TEST(SparsityPenalty, AttachedGradientMatchesFiniteDifferences) {
  // Dense(4) -> sigmoid -> Dense(2), the penalty on the hidden code (layer 1). The scalar is
  // L = sum(out * r) + penalty(code); its gradient with respect to all parameters comes from one
  // backward of r through the hooked model.
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
  m.add(std::make_unique<Activation>(ActivationKind::kSigmoid));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 2}));
  m.build(Shape{3}, 6);
  SparsityPenalty p = make(SparsityOptions::Kind::kKL, 0.2f, 1.0f);
  p.attach(m, 1);
  Tensor x(Shape{6, 3}), r(Shape{6, 2});
  testing::fill_random(x, 47);
  testing::fill_random(r, 48);
  StepContext ctx;
  auto f = [&](const Tensor& w) {
    m.params().copy_from(w);
    const Tensor& out = m.forward(x, ctx);
    double s = 0.0;
    for (int64_t i = 0; i < out.numel(); ++i) s += double(out[i]) * r[i];
    return static_cast<float>(s + p.value(m.activation(1), 0));
  };
  auto grad = [&](const Tensor& w, Tensor& g) {
    m.params().copy_from(w);
    m.forward(x, ctx);
    m.zero_grads();
    m.backward(r, ctx, false);
    g.copy_from(m.grads());
  };
  Tensor w0(m.params().shape());
  w0.copy_from(m.params());
  EXPECT_EQ(testing::check_function_gradient(f, grad, w0, "attached kl",
                                             {.eps = 1e-2f, .atol = 2e-4f, .rtol = 1e-2f}),
            0);
}

}  // namespace
}  // namespace strata
