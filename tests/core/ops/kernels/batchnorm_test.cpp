// The CUDA BatchNorm kernels (core/ops/kernels/batchnorm.h), run on the CPU as their launches
// would run them, against the CPU ops (batchnorm.cpp): 1-D and 2-D, train and eval, affine on and
// off, the synchronised path over several simulated ranks, the benchmark models' shapes and edge
// shapes.
//
// What is computed from given statistics or sums (eval mode, batchnorm_sync_normalize,
// batchnorm_sync_dx, the mean of batchnorm_sync_deviations) is the CPU op's bit for bit. The
// per-channel sums are not: the CPU adds each sample's S values in float and the kernels add every
// value in double, so the sums and what follows from them agree within the tolerances of
// batchnorm_cases.h. With inputs whose sums are exact in both (ExactSums) the whole train-mode
// forward is bit for bit.
#include "core/ops/kernels/batchnorm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/batchnorm.h"
#include "tests/core/ops/kernels/batchnorm_cases.h"
#include "tests/support/float_compare.h"
#include "tests/support/lcg.h"

namespace strata {
namespace {

// The shapes, inputs, state, executor and tolerances of batchnorm_cases.h; same_bits; Lcg.
using namespace test;

// ---- Inputs ----

// x for a train-mode forward whose sums are exact on the CPU and in the kernels: channel c is
// base_c + v, the v multiples of 1/4 in [-2, 2] and symmetric about 0 within each channel (value
// k and value m - 1 - k are opposite), so the mean is base_c exactly and every partial sum, of the
// values and of their squared deviations, is exact in float.
std::vector<float> exact_sum_inputs(const Shape3& s, uint32_t seed) {
  const BnLayout l{s.n, s.C, s.S};
  std::vector<float> x(static_cast<size_t>(l.size()));
  Lcg r(seed, 7u);
  const int64_t m = l.per_channel();
  for (int64_t c = 0; c < s.C; ++c) {
    const float base = 0.5f * static_cast<float>(c % 13) - 3.0f;
    for (int64_t k = 0; k < (m + 1) / 2; ++k) {
      const uint32_t word = r.next();
      const float v =
          k == m - 1 - k ? 0.0f : 0.25f * static_cast<float>(static_cast<int>(word >> 28) - 8);
      x[l.at(c, k)] = base + v;
      x[l.at(c, m - 1 - k)] = base - v;
    }
  }
  return x;
}

// ---- Comparisons ----

// |got - want| <= atol + rtol * |want| everywhere (finite values); names the worst.
::testing::AssertionResult near(const std::vector<float>& got, const std::vector<float>& want,
                                double rtol, double atol, const std::string& what) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << what << ": sizes differ";
  double worst = -1.0;
  size_t at = 0;
  int64_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double excess = err - (atol + rtol * std::fabs(want[i]));
    if (!(excess <= 0.0)) ++bad;
    if (!(excess <= worst)) worst = excess, at = i;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << bad << " of " << got.size() << " values off (rtol " << rtol << ", atol "
         << atol << "); worst at " << at << ": " << got[at] << " vs " << want[at];
}

// ---- Geometry ----

TEST(BatchNormKernels, LayoutVisitsEveryValueOfEachChannelOnce) {
  for (const Shape3& s : {Shape3{3, 5, 7}, Shape3{4, 9, 1}, Shape3{1, 2, 11}}) {
    const BnLayout l{s.n, s.C, s.S};
    std::vector<int> seen(static_cast<size_t>(l.size()), 0);
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t k = 0; k < l.per_channel(); ++k) {
        const int64_t j = l.at(c, k);
        ASSERT_GE(j, 0);
        ASSERT_LT(j, l.size());
        ASSERT_EQ(l.channel(j), c);
        ++seen[static_cast<size_t>(j)];
      }
    for (int v : seen) ASSERT_EQ(v, 1);
  }
}

TEST(BatchNormKernels, LaunchesWithinCudaLimits) {
  EXPECT_EQ(bn_channel_launch(0).blocks, 0u);
  for (int64_t C : {int64_t{1}, int64_t{64}, int64_t{6272}, kBnMaxChannels}) {
    const Launch l = bn_channel_launch(C);
    EXPECT_EQ(l.blocks, static_cast<uint64_t>(C));  // gridDim.x: at most 2^31 - 1
    EXPECT_LE(l.threads, 1024u);
    EXPECT_EQ(l.threads % 32, 0u);
  }
  EXPECT_EQ(kBnMaxChannels, (int64_t{1} << 31) - 1);
  // Static shared memory: each block sum of a kernel holds kSumThreads doubles; the backward
  // kernels have two.
  EXPECT_LE(2 * kSumThreads * sizeof(double), 48u * 1024u);
  // Grids use x only (y and z are 1, far under 65535); the elementwise ones are grid-stride.
  for (const Shape3& s : model_shapes()) {
    const Launch l = grid_stride_launch(s.n * s.C * s.S);
    EXPECT_LE(l.blocks, kMaxBlocks);
    EXPECT_LE(l.threads, 1024u);
  }
}

// ---- Per-channel math: the CPU op's expressions ----

TEST(BatchNormKernels, PerChannelMathIsTheCpuOps) {
  // eval scale vs invstd: forward divides gamma by sqrt in double, backward multiplies by invstd.
  const double eps = 1e-5;
  for (float rv : {1.0f, 0.37f, 2.5e-6f, 123.0f})
    for (float g : {1.0f, 0.8f, -1.7f}) {
      EXPECT_EQ(bn_eval_scale(g, rv, eps),
                static_cast<float>(g / std::sqrt(static_cast<double>(rv) + eps)));
      EXPECT_EQ(bn_invstd(rv, eps), static_cast<float>(1.0 / std::sqrt(rv + eps)));
    }
  EXPECT_EQ(bn_running(0.5f, 0.1f, 2.0f), (1.0f - 0.1f) * 0.5f + 0.1f * 2.0f);
  EXPECT_EQ(bn_ratio(10.0, 3.0), static_cast<float>(10.0 / 3.0));
  const BnDxConsts k{0.25f, 1.7f, 0.9f, 0.01f, -0.3f};
  const float dy = 0.7f, x = -1.3f;
  EXPECT_EQ(bn_dx(dy, x, k), k.scale * (dy - k.a - (x - k.mean) * k.invstd * k.bx));
  EXPECT_EQ(bn_affine(x, 0.25f, 1.7f, 0.3f), (x - 0.25f) * 1.7f + 0.3f);
}

// ---- Local ops ----

class BatchNormOps : public ::testing::TestWithParam<bool> {};  // affine

TEST_P(BatchNormOps, EvalModeIsTheCpuOpBitForBit) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = edge_shapes();
  shapes.push_back({1, 10, 1});
  shapes.push_back({256, 64, 196});
  shapes.push_back({128, 512, 16});
  for (const Shape3& s : shapes) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S;
    const std::vector<float> x = values(n, 2.0f, 1, 0.5f), dy = values(n, 1.0f, 2);
    BnState cpu(s.C, affine, 3), emu(s.C, affine, 3);
    std::vector<float> y_cpu(n), y_emu(n, std::nanf("")), dx_cpu(n), dx_emu(n, std::nanf(""));
    std::vector<float> dg_cpu(s.C, 0.5f), db_cpu(s.C, -0.5f), dg_emu = dg_cpu, db_emu = db_cpu;
    batchnorm_forward(cpu_backend(), a, cpu.buffers(), false, x.data(), y_cpu.data());
    EmulatedExec ex;
    bn_forward_steps(ex, a, emu.buffers(), false, x.data(), y_emu.data());
    EXPECT_TRUE(same_bits(y_emu, y_cpu, "eval y " + name(s, affine)));
    EXPECT_TRUE(same_bits(emu.running_mean, cpu.running_mean, "eval leaves running_mean"));
    EXPECT_TRUE(same_bits(emu.running_var, cpu.running_var, "eval leaves running_var"));

    batchnorm_backward(cpu_backend(), a, cpu.buffers(), false, x.data(), dy.data(),
                       affine ? dg_cpu.data() : nullptr, affine ? db_cpu.data() : nullptr,
                       dx_cpu.data());
    bn_backward_steps(ex, a, emu.buffers(), false, x.data(), dy.data(),
                      affine ? dg_emu.data() : nullptr, affine ? db_emu.data() : nullptr,
                      dx_emu.data());
    EXPECT_TRUE(same_bits(dx_emu, dx_cpu, "eval dx " + name(s, affine)));
    EXPECT_TRUE(near(dg_emu, dg_cpu, kSumRtol, sum_atol(s), "eval dgamma " + name(s, affine)));
    EXPECT_TRUE(near(db_emu, db_cpu, kSumRtol, sum_atol(s), "eval dbeta " + name(s, affine)));
  }
}

TEST_P(BatchNormOps, TrainModeWithExactSumsIsTheCpuOpBitForBit) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = edge_shapes();
  for (const Shape3& s : model_shapes())
    if (s.n * s.C * s.S <= 2'000'000) shapes.push_back(s);
  for (const Shape3& s : shapes) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S;
    const std::vector<float> x = exact_sum_inputs(s, 4);
    BnState cpu(s.C, affine, 5), emu(s.C, affine, 5);
    std::vector<float> y_cpu(n), y_emu(n, std::nanf(""));
    batchnorm_forward(cpu_backend(), a, cpu.buffers(), true, x.data(), y_cpu.data());
    EmulatedExec ex;
    bn_forward_steps(ex, a, emu.buffers(), true, x.data(), y_emu.data());
    const std::string at = " " + name(s, affine);
    EXPECT_TRUE(same_bits(emu.mean, cpu.mean, "mean" + at));
    EXPECT_TRUE(same_bits(emu.invstd, cpu.invstd, "invstd" + at));
    EXPECT_TRUE(same_bits(emu.running_mean, cpu.running_mean, "running_mean" + at));
    EXPECT_TRUE(same_bits(emu.running_var, cpu.running_var, "running_var" + at));
    EXPECT_TRUE(same_bits(y_emu, y_cpu, "y" + at));
  }
}

// Forward and backward in train mode on general inputs (an offset mean, so the two-pass variance
// matters) against the CPU op; backward twice doubles dgamma and dbeta.
TEST_P(BatchNormOps, TrainModeMatchesTheCpuOp) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = edge_shapes();
  for (const Shape3& s : model_shapes()) shapes.push_back(s);
  for (const Shape3& s : shapes) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S;
    const std::vector<float> x = values(n, 1.5f, 6, 3.0f), dy = values(n, 1.0f, 7);
    BnState cpu(s.C, affine, 8), emu(s.C, affine, 8);
    std::vector<float> y_cpu(n), y_emu(n, std::nanf(""));
    batchnorm_forward(cpu_backend(), a, cpu.buffers(), true, x.data(), y_cpu.data());
    EmulatedExec ex;
    bn_forward_steps(ex, a, emu.buffers(), true, x.data(), y_emu.data());
    EXPECT_EQ(ex.launches, (std::vector<std::string>{"batchnorm statistics", "batchnorm affine"}));
    const std::string at = " " + name(s, affine);
    expect_statistics_within(emu, cpu, at, near);
    EXPECT_TRUE(near(y_emu, y_cpu, kValueRtol, kValueAtol, "y" + at));

    // The backward from the CPU's statistics, so that only its own sums differ.
    emu.mean = cpu.mean;
    emu.invstd = cpu.invstd;
    std::vector<float> dx_cpu(n), dx_emu(n, std::nanf(""));
    std::vector<float> dg_cpu(s.C, 0.0f), db_cpu(s.C, 0.0f), dg_emu = dg_cpu, db_emu = db_cpu;
    float* dgc = affine ? dg_cpu.data() : nullptr;
    float* dbc = affine ? db_cpu.data() : nullptr;
    float* dge = affine ? dg_emu.data() : nullptr;
    float* dbe = affine ? db_emu.data() : nullptr;
    batchnorm_backward(cpu_backend(), a, cpu.buffers(), true, x.data(), dy.data(), dgc, dbc,
                       dx_cpu.data());
    EmulatedExec bx;
    bn_backward_steps(bx, a, emu.buffers(), true, x.data(), dy.data(), dge, dbe, dx_emu.data());
    EXPECT_EQ(bx.launches, std::vector<std::string>{"batchnorm backward"});
    EXPECT_TRUE(near(dx_emu, dx_cpu, kValueRtol, kValueAtol, "dx" + at));
    EXPECT_TRUE(near(dg_emu, dg_cpu, kSumRtol, sum_atol(s), "dgamma" + at));
    EXPECT_TRUE(near(db_emu, db_cpu, kSumRtol, sum_atol(s), "dbeta" + at));
    if (affine) {
      // Only the parameter gradients (a first layer has no dx): the same sums.
      std::vector<float> dg0(s.C, 0.0f), db0(s.C, 0.0f);
      bn_backward_steps(bx, a, emu.buffers(), true, x.data(), dy.data(), dg0.data(), db0.data(),
                        nullptr);
      EXPECT_TRUE(same_bits(dg0, dg_emu, "dgamma without dx" + at));
      EXPECT_TRUE(same_bits(db0, db_emu, "dbeta without dx" + at));
      // A second backward adds the same sums again: exactly twice.
      const std::vector<float> dg1 = dg_emu, db1 = db_emu;
      std::vector<float> dx2(n, std::nanf(""));
      bn_backward_steps(bx, a, emu.buffers(), true, x.data(), dy.data(), dge, dbe, dx2.data());
      for (int64_t c = 0; c < s.C; ++c) {
        ASSERT_EQ(dg_emu[c], 2.0f * dg1[c]) << c << at;
        ASSERT_EQ(db_emu[c], 2.0f * db1[c]) << c << at;
      }
      EXPECT_TRUE(same_bits(dx2, dx_emu, "dx of a second backward" + at));
    }
  }
}

// ---- The synchronised path ----

// Each step from the same inputs as the CPU's: the sums agree within tolerance; what is computed
// from given sums (the mean, the normalisation, dx) is the CPU's bit for bit.
TEST_P(BatchNormOps, SyncStepsMatchTheCpuSteps) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = edge_shapes();
  for (const Shape3& s : model_shapes()) shapes.push_back(s);
  for (const Shape3& s : shapes) {
    const BatchNormArgs a = args_of(s);
    const int64_t n = s.n * s.C * s.S, m = s.n * s.S, M = 3 * m + 1;  // as if other ranks
    const std::string at = " " + name(s, affine);
    const std::vector<float> x = values(n, 1.5f, 9, -2.0f), dy = values(n, 1.0f, 10);
    BnState cpu(s.C, affine, 11), emu(s.C, affine, 11);
    EmulatedExec ex;

    std::vector<float> sums_cpu(s.C), sums_emu(s.C, std::nanf(""));
    batchnorm_sync_sums(cpu_backend(), a, x.data(), sums_cpu.data());
    bn_sync_sums_steps(ex, a, x.data(), sums_emu.data());
    EXPECT_TRUE(near(sums_emu, sums_cpu, kStatRtol, sum_atol(s), "sums" + at));

    // As the layer calls it: the squared deviations overwrite the sums.
    std::vector<float> sq_cpu = sums_cpu, sq_emu = sums_cpu;
    batchnorm_sync_deviations(cpu_backend(), a, M, sq_cpu.data(), x.data(), cpu.mean.data(),
                              sq_cpu.data());
    bn_sync_deviations_steps(ex, a, M, sq_emu.data(), x.data(), emu.mean.data(), sq_emu.data());
    EXPECT_TRUE(same_bits(emu.mean, cpu.mean, "mean" + at));
    EXPECT_TRUE(near(sq_emu, sq_cpu, kStatRtol, sum_atol(s), "squared deviations" + at));
    std::vector<float> sq_apart(s.C, std::nanf(""));  // and into a buffer of its own
    bn_sync_deviations_steps(ex, a, M, sums_cpu.data(), x.data(), emu.mean.data(), sq_apart.data());
    EXPECT_TRUE(same_bits(sq_apart, sq_emu, "squared deviations, sums not overwritten" + at));

    std::vector<float> y_cpu(n), y_emu(n, std::nanf(""));
    batchnorm_sync_normalize(cpu_backend(), a, M, cpu.buffers(), sq_cpu.data(), x.data(),
                             y_cpu.data());
    bn_sync_normalize_steps(ex, a, M, emu.buffers(), sq_cpu.data(), x.data(), y_emu.data());
    EXPECT_TRUE(same_bits(emu.invstd, cpu.invstd, "invstd" + at));
    EXPECT_TRUE(same_bits(emu.running_mean, cpu.running_mean, "running_mean" + at));
    EXPECT_TRUE(same_bits(emu.running_var, cpu.running_var, "running_var" + at));
    EXPECT_TRUE(same_bits(y_emu, y_cpu, "y" + at));

    std::vector<float> g_cpu(2 * s.C), g_emu(2 * s.C, std::nanf(""));
    std::vector<float> dg_cpu(s.C, 0.25f), db_cpu(s.C, -0.25f), dg_emu = dg_cpu, db_emu = db_cpu;
    batchnorm_sync_grad_sums(cpu_backend(), a, cpu.buffers(), x.data(), dy.data(),
                             affine ? dg_cpu.data() : nullptr, affine ? db_cpu.data() : nullptr,
                             g_cpu.data());
    bn_sync_grad_sums_steps(ex, a, emu.buffers(), x.data(), dy.data(),
                            affine ? dg_emu.data() : nullptr, affine ? db_emu.data() : nullptr,
                            g_emu.data());
    EXPECT_TRUE(near(g_emu, g_cpu, kSumRtol, sum_atol(s), "gradient sums" + at));
    EXPECT_TRUE(near(dg_emu, dg_cpu, kSumRtol, sum_atol(s), "dgamma" + at));
    EXPECT_TRUE(near(db_emu, db_cpu, kSumRtol, sum_atol(s), "dbeta" + at));

    std::vector<float> dx_cpu(n), dx_emu(n, std::nanf(""));
    batchnorm_sync_dx(cpu_backend(), a, M, cpu.buffers(), g_cpu.data(), x.data(), dy.data(),
                      dx_cpu.data());
    bn_sync_dx_steps(ex, a, M, emu.buffers(), g_cpu.data(), x.data(), dy.data(), dx_emu.data());
    EXPECT_TRUE(same_bits(dx_emu, dx_cpu, "dx" + at));
  }
}

// Simulated ranks (2 and 3, uneven splits of the batch): each runs the synchronised steps on its
// slice, the cross-rank sums add the ranks' floats in rank order; together they give the
// whole-batch op's statistics, output and gradients.
TEST_P(BatchNormOps, SyncOverRanksMatchesTheWholeBatch) {
  const bool affine = GetParam();
  std::vector<Shape3> shapes = {{3, 7, 1}, {3, 5, 63}, {5, 100, 1}, {2, 4, 9}};
  for (const Shape3& s : model_shapes()) shapes.push_back(s);
  for (const Shape3& s : shapes)
    for (int64_t ranks : {int64_t{2}, int64_t{3}}) {
      if (ranks > s.n || (ranks == 2 && s.n * s.C * s.S > 100'000)) continue;  // 3 for the large
      const BatchNormArgs whole = args_of(s);
      const int64_t n = s.n * s.C * s.S, M = s.n * s.S, per_sample = s.C * s.S;
      const std::string at = " " + name(s, affine) + " over " + std::to_string(ranks) + " ranks";
      const std::vector<float> x = values(n, 1.5f, 12, 1.0f), dy = values(n, 1.0f, 13);
      BnState cpu(s.C, affine, 14);
      std::vector<float> y_cpu(n), dx_cpu(n), dg_cpu(s.C, 0.0f), db_cpu(s.C, 0.0f);
      batchnorm_forward(cpu_backend(), whole, cpu.buffers(), true, x.data(), y_cpu.data());
      batchnorm_backward(cpu_backend(), whole, cpu.buffers(), true, x.data(), dy.data(),
                         affine ? dg_cpu.data() : nullptr, affine ? db_cpu.data() : nullptr,
                         dx_cpu.data());

      // Rank r has samples [first[r], first[r + 1]): the first ranks one more when uneven.
      std::vector<int64_t> first(ranks + 1, 0);
      for (int64_t r = 0; r < ranks; ++r)
        first[r + 1] = first[r] + s.n / ranks + (r < s.n % ranks ? 1 : 0);
      std::vector<BnState> state(ranks, BnState(s.C, affine, 14));
      std::vector<std::vector<float>> buf(ranks, std::vector<float>(2 * s.C, std::nanf("")));
      std::vector<std::vector<float>> dg(ranks, std::vector<float>(s.C, 0.0f)), db = dg;
      std::vector<float> y(n, std::nanf("")), dx(n, std::nanf(""));
      EmulatedExec ex;
      auto args_r = [&](int64_t r) {
        BatchNormArgs a = whole;
        a.n = first[r + 1] - first[r];
        return a;
      };
      auto x_r = [&](const std::vector<float>& v, int64_t r) {
        return v.data() + first[r] * per_sample;
      };
      // The cross-rank sum of the first `count` values of every rank's buf.
      auto cross_rank_sum = [&](int64_t count) {
        std::vector<float> total(count, 0.0f);
        for (int64_t r = 0; r < ranks; ++r)
          for (int64_t i = 0; i < count; ++i) total[i] += buf[r][i];
        for (int64_t r = 0; r < ranks; ++r) std::copy(total.begin(), total.end(), buf[r].begin());
      };
      for (int64_t r = 0; r < ranks; ++r)
        bn_sync_sums_steps(ex, args_r(r), x_r(x, r), buf[r].data());
      cross_rank_sum(s.C);
      for (int64_t r = 0; r < ranks; ++r)
        bn_sync_deviations_steps(ex, args_r(r), M, buf[r].data(), x_r(x, r), state[r].mean.data(),
                                 buf[r].data());
      cross_rank_sum(s.C);
      for (int64_t r = 0; r < ranks; ++r)
        bn_sync_normalize_steps(ex, args_r(r), M, state[r].buffers(), buf[r].data(), x_r(x, r),
                                y.data() + first[r] * per_sample);
      for (int64_t r = 0; r < ranks; ++r)
        bn_sync_grad_sums_steps(ex, args_r(r), state[r].buffers(), x_r(x, r), x_r(dy, r),
                                affine ? dg[r].data() : nullptr, affine ? db[r].data() : nullptr,
                                buf[r].data());
      cross_rank_sum(2 * s.C);
      for (int64_t r = 0; r < ranks; ++r)
        bn_sync_dx_steps(ex, args_r(r), M, state[r].buffers(), buf[r].data(), x_r(x, r), x_r(dy, r),
                         dx.data() + first[r] * per_sample);

      for (int64_t r = 1; r < ranks; ++r) {  // every rank holds the same statistics
        EXPECT_TRUE(same_bits(state[r].mean, state[0].mean, "mean of rank " + std::to_string(r)));
        EXPECT_TRUE(same_bits(state[r].running_var, state[0].running_var, "running_var of a rank"));
      }
      expect_statistics_within(state[0], cpu, at, near);
      EXPECT_TRUE(near(y, y_cpu, kValueRtol, kValueAtol, "y" + at));
      EXPECT_TRUE(near(dx, dx_cpu, kValueRtol, kValueAtol, "dx" + at));
      if (affine) {  // the gradient reducer's sum of each rank's dgamma and dbeta
        std::vector<float> dg_all(s.C, 0.0f), db_all(s.C, 0.0f);
        for (int64_t r = 0; r < ranks; ++r)
          for (int64_t c = 0; c < s.C; ++c) dg_all[c] += dg[r][c], db_all[c] += db[r][c];
        EXPECT_TRUE(near(dg_all, dg_cpu, kSumRtol, sum_atol(s), "dgamma" + at));
        EXPECT_TRUE(near(db_all, db_cpu, kSumRtol, sum_atol(s), "dbeta" + at));
      }
    }
}

INSTANTIATE_TEST_SUITE_P(Affine, BatchNormOps, ::testing::Bool(), affine_name);

}  // namespace
}  // namespace strata
