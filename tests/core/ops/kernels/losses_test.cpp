// The CUDA loss and penalty kernels' bodies (core/ops/kernels/losses.h, sparsity.h), run on the
// CPU as their launches run them, against the CPU ops: gradients, column sums and means bit for
// bit; values (one block's sum, block_sum_on_host, where the CPU adds chunks) within one float
// ulp, at the benchmark shapes, at edge shapes and at extreme logits.
#include "core/ops/kernels/losses.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/ops/bce_logits.h"
#include "core/ops/kernels/sparsity.h"
#include "core/ops/mse.h"
#include "core/ops/softmax_cross_entropy.h"
#include "core/ops/sparsity.h"
#include "core/ops/weight_decay.h"
#include "tests/core/ops/kernels/losses_cases.h"
#include "tests/support/emulate_launch.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

// The sizes, shapes and inputs of losses_cases.h; ulps.
using namespace test;

// Runs a grid-stride body over n indices and checks each was visited once.
template <class Body>
void run_body(int64_t n, const Body& body) {
  ASSERT_TRUE(emulate_each_once(n, body));
}

// The value a one-block sum kernel writes, on the host.
template <class Term, class Finish>
float sum_to_scalar_on_host(int64_t n, const Term& term, const Finish& finish) {
  return finish(block_sum_on_host(n, term));
}

void expect_bitwise(const std::vector<float>& got, const std::vector<float>& want,
                    const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(ulps(got[i], want[i]), 0)
        << what << " at " << i << ": " << got[i] << " vs " << want[i];
}

// The value sums differ from the CPU's in order only: within one float ulp.
constexpr int64_t kValueUlps = 1;

TEST(MseBodies, MatchTheCpuOp) {
  for (int64_t n : mse_sizes()) {
    const std::vector<float> p = values(n, 0.0f, 1.0f, 1), t = values(n, 0.0f, 1.0f, 2);
    std::vector<float> d_cpu(n), d(n, std::nanf(""));
    float loss_cpu = 0.0f, fwd_cpu = 0.0f;
    mse_forward_backward(cpu_backend(), n, p.data(), t.data(), d_cpu.data(), &loss_cpu);
    mse_forward(cpu_backend(), n, p.data(), t.data(), &fwd_cpu);
    run_body(n, MseGradBody{p.data(), t.data(), d.data(), mse_grad_scale(n)});
    expect_bitwise(d, d_cpu, "mse gradient");
    const float loss = sum_to_scalar_on_host(n, MseTerm{p.data(), t.data()}, MeanFinish{n});
    const float fwd = sum_to_scalar_on_host(n, MseForwardTerm{p.data(), t.data()}, MeanFinish{n});
    EXPECT_LE(ulps(loss, loss_cpu), kValueUlps) << n << ": " << loss << " vs " << loss_cpu;
    EXPECT_LE(ulps(fwd, fwd_cpu), kValueUlps) << n << ": " << fwd << " vs " << fwd_cpu;
  }
}

// n values on a grid of 2^-8 in [-1, 1]: their differences, squares and absolute values are
// added exactly in double (a sum of up to 2^18 terms of 16 fraction bits needs 34 bits), so a sum
// is the same in any order and a value must equal the CPU op's bit for bit.
std::vector<float> grid_values(int64_t n, uint32_t seed) {
  std::vector<float> v = values(n, -1.0f, 1.0f, seed);
  for (float& x : v) x = std::round(x * 256.0f) / 256.0f;
  return v;
}

TEST(LossBodies, ValuesEqualTheCpuOpsWhenTheSumsAreExact) {
  for (int64_t n : mse_sizes()) {
    const std::vector<float> p = grid_values(n, 12), t = grid_values(n, 13);
    std::vector<float> d(n);
    float cpu = 0.0f;
    mse_forward_backward(cpu_backend(), n, p.data(), t.data(), d.data(), &cpu);
    EXPECT_EQ(sum_to_scalar_on_host(n, MseTerm{p.data(), t.data()}, MeanFinish{n}), cpu) << n;
    mse_forward(cpu_backend(), n, p.data(), t.data(), &cpu);
    EXPECT_EQ(sum_to_scalar_on_host(n, MseForwardTerm{p.data(), t.data()}, MeanFinish{n}), cpu)
        << n;
    const SparsityArgs args{1, n, 0.05f, 3e-3f};
    sparsity_l1_value(cpu_backend(), args, p.data(), &cpu);
    EXPECT_EQ(sum_to_scalar_on_host(n, AbsTerm{p.data()}, L1Finish{args.weight, args.n}), cpu) << n;
    const DecayedParam param{p.data(), d.data(), n};
    l2_weight_decay(cpu_backend(), 1e-4f, {&param, 1}, &cpu);
    EXPECT_EQ(l2_decay_value_on_host(1e-4f, {&param, 1}), cpu) << n;
  }
  // bce_logits at a GAN's batch sizes, logits in [-4, 4]: float terms in [2^-6, 2^3) are
  // added exactly by a double.
  for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{128}, int64_t{256}}) {
    const std::vector<float> z = values(n, -4.0f, 4.0f, 14);
    std::vector<float> t(n), d(n);
    for (int64_t i = 0; i < n; ++i) t[i] = static_cast<float>(i % 2);
    float cpu = 0.0f;
    bce_logits_forward_backward(cpu_backend(), n, z.data(), t.data(), d.data(), &cpu);
    EXPECT_EQ(sum_to_scalar_on_host(n, BceLogitsTerm{z.data(), t.data()}, MeanFinish{n}), cpu) << n;
  }
}

TEST(BceLogitsBodies, MatchTheCpuOp) {
  for (int64_t n : bce_sizes()) {
    const std::vector<float> z = gan_logits(n, 3), t = bce_targets(n);
    std::vector<float> d_cpu(n), d(n, std::nanf(""));
    float loss_cpu = 0.0f, fwd_cpu = 0.0f;
    bce_logits_forward_backward(cpu_backend(), n, z.data(), t.data(), d_cpu.data(), &loss_cpu);
    bce_logits_forward(cpu_backend(), n, z.data(), t.data(), &fwd_cpu);
    run_body(n, BceLogitsGradBody{z.data(), t.data(), d.data(), inverse_count(n)});
    expect_bitwise(d, d_cpu, "bce_logits gradient");
    const float loss = sum_to_scalar_on_host(n, BceLogitsTerm{z.data(), t.data()}, MeanFinish{n});
    EXPECT_LE(ulps(loss, loss_cpu), kValueUlps) << n << ": " << loss << " vs " << loss_cpu;
    EXPECT_EQ(loss_cpu, fwd_cpu) << n;  // one expression for both
  }
}

// |z| = 1e4: exp(-|z|) is 0, the loss is |z| or 0 exactly, the gradient (sigmoid - t) / n exact.
TEST(BceLogitsBodies, ExtremeLogitsAreExact) {
  struct Case {
    float z, t, loss, grad;
  };
  for (const Case& c : {Case{1e4f, 0.0f, 1e4f, 1.0f}, Case{1e4f, 1.0f, 0.0f, 0.0f},
                        Case{-1e4f, 1.0f, 1e4f, -1.0f}, Case{-1e4f, 0.0f, 0.0f, 0.0f}}) {
    float d = std::nanf("");
    run_body(1, BceLogitsGradBody{&c.z, &c.t, &d, inverse_count(1)});
    EXPECT_EQ(d, c.grad) << c.z << " " << c.t;
    EXPECT_EQ(sum_to_scalar_on_host(1, BceLogitsTerm{&c.z, &c.t}, MeanFinish{1}), c.loss)
        << c.z << " " << c.t;
  }
}

TEST(SigmoidMeanBody, MatchesTheCpuOp) {
  for (int64_t n : bce_sizes()) {
    const std::vector<float> z = gan_logits(n, 4);
    float mean_cpu = 0.0f;
    sigmoid_mean(cpu_backend(), n, z.data(), &mean_cpu);
    const float mean = sum_to_scalar_on_host(n, SigmoidTerm{z.data()}, MeanFinish{n});
    EXPECT_LE(ulps(mean, mean_cpu), kValueUlps) << n << ": " << mean << " vs " << mean_cpu;
  }
}

// The row sums of exp are exact in double for these logits (every term above 2^-26 of the
// largest, or 0), so the softmax rows agree bit for bit whatever order the CPU adds them in.
TEST(SoftmaxCrossEntropyBody, MatchesTheCpuOp) {
  for (const Rows s : softmax_rows(2000)) {  // 2000 rows: the emulation is slow
    const int64_t total = s.n * s.k;
    std::vector<float> z = values(total, -6.0f, 6.0f, 5);
    z[0] = 1e4f;                  // one row with a huge logit,
    if (s.n > 1) z[s.k] = -1e4f;  // another with a hugely negative one
    const std::vector<float> y = labels(s.n, s.k);
    std::vector<float> d_cpu(total), d(total, std::nanf(""));
    float loss_cpu = 0.0f, fwd_cpu = 0.0f;
    softmax_cross_entropy_forward_backward(cpu_backend(), s.n, s.k, z.data(), y.data(),
                                           d_cpu.data(), &loss_cpu);
    softmax_cross_entropy_forward(cpu_backend(), s.n, s.k, z.data(), y.data(), &fwd_cpu);
    const float inv_n = inverse_count(s.n);
    const float loss = sum_to_scalar_on_host(
        s.n, SoftmaxCrossEntropyTerm{z.data(), y.data(), d.data(), s.k, inv_n}, MeanFinish{s.n});
    const float fwd = sum_to_scalar_on_host(
        s.n, SoftmaxCrossEntropyTerm{z.data(), y.data(), nullptr, s.k, inv_n}, MeanFinish{s.n});
    expect_bitwise(d, d_cpu, "softmax cross-entropy gradient");
    EXPECT_TRUE(std::isfinite(loss)) << s.n << "x" << s.k;
    EXPECT_LE(ulps(loss, loss_cpu), kValueUlps)
        << s.n << "x" << s.k << ": " << loss << " vs " << loss_cpu;
    EXPECT_LE(ulps(fwd, fwd_cpu), kValueUlps)
        << s.n << "x" << s.k << ": " << fwd << " vs " << fwd_cpu;
  }
}

// A target outside [0, K) (which the loss rejects before the op) gives a NaN loss and no write
// outside its row.
TEST(SoftmaxCrossEntropyBody, InvalidTargetGivesNaNInsideItsRow) {
  const int64_t k = 4;
  const std::vector<float> z = values(2 * k, -1.0f, 1.0f, 6);
  for (float bad : {-1.0f, 4.0f, std::nanf("")}) {
    const std::vector<float> y = {bad, 1.0f};
    std::vector<float> d(3 * k, 7.0f);  // a third row as a guard
    const float loss = sum_to_scalar_on_host(
        2, SoftmaxCrossEntropyTerm{z.data(), y.data(), d.data(), k, 0.5f}, MeanFinish{2});
    EXPECT_TRUE(std::isnan(loss)) << bad;
    for (int64_t j = 2 * k; j < 3 * k; ++j) EXPECT_EQ(d[j], 7.0f) << bad;
  }
}

TEST(SparsityBodies, ColumnSumsAndMeansMatchTheCpuOp) {
  for (const Rows s : sparsity_shapes()) {
    const std::vector<float> a = activations(s, 7);
    std::vector<float> sums_cpu(s.k), means_cpu(s.k), sums(s.k, std::nanf("")),
        means(s.k, std::nanf(""));
    sparsity_column_sums(cpu_backend(), s.n, s.k, a.data(), sums_cpu.data());
    sparsity_column_means(cpu_backend(), s.n, s.k, a.data(), means_cpu.data());
    run_body(s.k, ColumnSumsBody{a.data(), s.n, s.k, sums.data()});
    run_body(s.k, ColumnMeansBody{a.data(), s.n, s.k, means.data()});
    expect_bitwise(sums, sums_cpu, "column sums");
    expect_bitwise(means, means_cpu, "column means");
    // From the sums of a global batch of 3n samples.
    std::vector<float> from_cpu = sums_cpu, from = sums_cpu;
    sparsity_means_from_sums(cpu_backend(), s.k, 3 * s.n, from_cpu.data());
    run_body(s.k, MeansFromSumsBody{from.data(), static_cast<double>(3 * s.n)});
    expect_bitwise(from, from_cpu, "means from sums");
  }
}

// The kernels' clamp is the CPU op's: the means of a column of zeros and of ones.
TEST(SparsityBodies, ClampBoundsAreTheCpuOps) {
  const std::vector<float> a = {0.0f, 1.0f, 0.0f, 1.0f};
  std::vector<float> means(2);
  sparsity_column_means(cpu_backend(), 2, 2, a.data(), means.data());
  EXPECT_EQ(means[0], kSparsityRhoMin);
  EXPECT_EQ(means[1], kSparsityRhoMax);
  EXPECT_EQ(clamp_rho(-1.0f), kSparsityRhoMin);
  EXPECT_EQ(clamp_rho(0.25f), 0.25f);
  EXPECT_TRUE(std::isnan(clamp_rho(std::nanf(""))));
}

TEST(SparsityBodies, L1MatchesTheCpuOp) {
  for (const Rows s : sparsity_shapes()) {
    const SparsityArgs args = sparsity_args(s);
    const int64_t total = s.n * s.k;
    std::vector<float> x = values(total, -1.0f, 1.0f, 8);
    x[0] = 0.0f;
    const std::vector<float> d0 = values(total, -0.5f, 0.5f, 9);
    std::vector<float> d_cpu = d0, d = d0;
    float value_cpu = 0.0f;
    sparsity_l1_value(cpu_backend(), args, x.data(), &value_cpu);
    sparsity_l1_add_grad(cpu_backend(), args, x.data(), d_cpu.data());
    run_body(total, L1AddGradBody{x.data(), d.data(), sparsity_grad_scale(args.weight, args.n)});
    expect_bitwise(d, d_cpu, "L1 gradient");
    const float value =
        sum_to_scalar_on_host(total, AbsTerm{x.data()}, L1Finish{args.weight, args.n});
    EXPECT_LE(ulps(value, value_cpu), kValueUlps)
        << s.n << "x" << s.k << ": " << value << " vs " << value_cpu;
  }
}

TEST(SparsityBodies, KlMatchesTheCpuOp) {
  for (const Rows s : sparsity_shapes()) {
    const SparsityArgs args = sparsity_args(s);
    const std::vector<float> rho_hat = test::rho_hat(s, 10);
    float value_cpu = 0.0f;
    sparsity_kl_value(cpu_backend(), args, rho_hat.data(), &value_cpu);
    const float value =
        sum_to_scalar_on_host(s.k, KlTerm{rho_hat.data(), args.rho}, KlFinish{args.weight});
    EXPECT_LE(ulps(value, value_cpu), kValueUlps)
        << s.n << "x" << s.k << ": " << value << " vs " << value_cpu;

    const std::vector<float> d0 = values(s.n * s.k, -0.5f, 0.5f, 11);
    std::vector<float> coef_cpu = rho_hat, coef = rho_hat, d_cpu = d0, d = d0;
    sparsity_kl_add_grad(cpu_backend(), args, coef_cpu.data(), d_cpu.data());
    run_body(s.k, KlCoefBody{coef.data(), sparsity_grad_scale(args.weight, args.n), args.rho});
    run_body(s.n * s.k, KlAddGradBody{coef.data(), d.data(), s.k});
    expect_bitwise(coef, coef_cpu, "KL per-unit gradient");
    expect_bitwise(d, d_cpu, "KL gradient");
  }
}

void check_weight_decay(const std::vector<int64_t>& sizes, int64_t value_ulps) {
  const float lambda = 1e-4f;
  std::vector<std::vector<float>> w, g_cpu, g;
  for (size_t k = 0; k < sizes.size(); ++k) {
    w.push_back(values(sizes[k], -0.1f, 0.1f, 20 + static_cast<uint32_t>(k)));
    g_cpu.push_back(values(sizes[k], -1.0f, 1.0f, 40 + static_cast<uint32_t>(k)));
    g.push_back(g_cpu.back());
  }
  std::vector<DecayedParam> cpu_params, params;
  for (size_t k = 0; k < sizes.size(); ++k) {
    cpu_params.push_back({w[k].data(), g_cpu[k].data(), sizes[k]});
    params.push_back({w[k].data(), g[k].data(), sizes[k]});
  }
  float value_cpu = std::nanf("");
  l2_weight_decay(cpu_backend(), lambda, cpu_params, &value_cpu);
  for (const DecayedParam& p : params) run_body(p.n, DecayGradBody{p.w, p.g, lambda});
  for (size_t k = 0; k < sizes.size(); ++k) expect_bitwise(g[k], g_cpu[k], "decay gradient");
  const float value = l2_decay_value_on_host(lambda, params);
  EXPECT_LE(ulps(value, value_cpu), value_ulps)
      << sizes.size() << " params: " << value << " vs " << value_cpu;
}

TEST(WeightDecayBodies, MatchTheCpuOp) {
  check_weight_decay({}, 0);
  check_weight_decay({1}, kValueUlps);
  check_weight_decay({3, 1, 257}, kValueUlps);
  check_weight_decay(sae_weight_sizes(), kValueUlps);
  check_weight_decay(std::vector<int64_t>(kDecayBatch, 101), kValueUlps);
  // More parameters than one launch takes: the launches' floats are added, two roundings more.
  check_weight_decay(decay_sizes(2 * kDecayBatch + 3), 3);
}

TEST(WeightDecayBodies, BatchesCoverTheListInOrder) {
  std::vector<float> w(1);
  for (size_t count : {size_t{0}, size_t{1}, size_t{kDecayBatch}, size_t{kDecayBatch + 1},
                       size_t{3 * kDecayBatch}}) {
    std::vector<DecayedParam> params;
    for (size_t k = 0; k < count; ++k)
      params.push_back({w.data(), nullptr, static_cast<int64_t>(k + 1)});
    size_t seen = 0, launches = 0;
    for (size_t first = 0; decay_batch_starts(first, count); first += kDecayBatch, ++launches) {
      const DecayBatch b = decay_batch(params, first);
      ASSERT_LE(b.count, kDecayBatch);
      for (int k = 0; k < b.count; ++k, ++seen) EXPECT_EQ(b.n[k], static_cast<int64_t>(seen + 1));
    }
    EXPECT_EQ(seen, count);
    EXPECT_EQ(launches, count == 0 ? 1 : (count + kDecayBatch - 1) / kDecayBatch) << count;
  }
  // Kernel arguments: far below the 4 KiB every CUDA version takes.
  EXPECT_LE(sizeof(DecayBatch), size_t{4096} - 64);
}

}  // namespace
}  // namespace strata
