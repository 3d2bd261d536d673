// The optimizers' per-step scalars and the CUDA steps' bodies, run on the CPU: the scalars are
// those the optimizer computed before they were shared with the device (bit for bit), the update
// bodies give the CPU ops' values bit for bit, and the CUDA step's whole sequence - learning rate
// and step count read from "device" memory, the count advanced there, the scalars computed once
// for the update - emulated on the host takes the CPU optimizer's steps exactly.
#include "core/ops/kernels/optim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/backend.h"
#include "core/ops/adam.h"
#include "core/ops/sgd.h"
#include "core/optim/optimizer.h"
#include "tests/support/emulate_launch.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

using test::same_bits;

std::vector<float> wave(int64_t n, float scale, float phase) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * static_cast<float>(i) + phase);
  return v;
}

// The scalars as the Adam optimizer computed them in its own step, written out again here.
AdamStepArgs scalars_as_the_optimizer_had_them(const AdamHyper& h, float lr, int64_t steps) {
  const double t = static_cast<double>(steps);
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.b1), t);
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.b2), t);
  AdamStepArgs a;
  a.step_size = static_cast<float>(lr / bc1);
  a.inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  a.b1 = h.b1;
  a.b2 = h.b2;
  a.eps = h.eps;
  a.l2 = h.decoupled ? 0.0f : h.weight_decay;
  a.shrink = h.decoupled ? 1.0f - lr * h.weight_decay : 1.0f;
  return a;
}

::testing::AssertionResult equal_args(const AdamStepArgs& got, const AdamStepArgs& want) {
  const float g[] = {got.step_size, got.inv_sqrt_bc2, got.b1, got.b2, got.eps, got.l2, got.shrink};
  const float w[] = {want.step_size, want.inv_sqrt_bc2, want.b1,    want.b2,
                     want.eps,       want.l2,           want.shrink};
  const char* names[] = {"step_size", "inv_sqrt_bc2", "b1", "b2", "eps", "l2", "shrink"};
  for (int k = 0; k < 7; ++k)
    if (!same_bits(g[k], w[k]))
      return ::testing::AssertionFailure() << names[k] << " " << g[k] << " vs " << w[k];
  return ::testing::AssertionSuccess();
}

TEST(OptimScalars, StepCountAdvancesAsTheOptimizerCounted) {
  // The optimizer counted in int64 and stored the count as a float: the same t and stored value,
  // also past 2^24 where the float no longer holds every count.
  for (float stored : {0.0f, 1.0f, 41.0f, 16777215.0f, 16777216.0f, 3.0e7f, 1.0e12f}) {
    float count = stored;
    const double t = advance_step_count(count);
    const int64_t steps = static_cast<int64_t>(stored) + 1;
    EXPECT_EQ(t, static_cast<double>(steps)) << stored;
    EXPECT_TRUE(same_bits(count, static_cast<float>(steps))) << stored;
  }
}

TEST(OptimScalars, AdamArgsAreTheOptimizersBitForBit) {
  for (bool decoupled : {false, true})
    for (float b1 : {0.9f, 0.5f, 0.0f})
      for (float b2 : {0.999f, 0.99f})
        for (float wd : {0.0f, 0.01f, 0.5f})
          for (float lr : {1e-3f, 2e-4f, 0.1f, 0.0f, 3.7e-5f})
            for (int64_t steps : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{10}, int64_t{999},
                                  int64_t{123457}, int64_t{16777216}}) {
              const AdamHyper h{b1, b2, 1e-8f, wd, decoupled};
              EXPECT_TRUE(equal_args(adam_step_args(h, lr, static_cast<double>(steps)),
                                     scalars_as_the_optimizer_had_them(h, lr, steps)))
                  << "decoupled " << decoupled << " b1 " << b1 << " b2 " << b2 << " wd " << wd
                  << " lr " << lr << " t " << steps;
            }
}

TEST(OptimScalars, AdamScalarsBodyAdvancesTheCountAndComputesTheArgsOnce) {
  const AdamHyper h{0.5f, 0.999f, 1e-8f, 0.1f, true};
  // [lr, step count, workspace], as the optimizer lays them out in device memory.
  std::vector<float> scalars(2 + sizeof(AdamStepArgs) / sizeof(float), std::nanf(""));
  scalars[0] = 2e-4f;
  scalars[1] = 6.0f;
  auto* args = reinterpret_cast<AdamStepArgs*>(scalars.data() + 2);
  const std::vector<int> visits =
      test::emulate_grid_stride(1, AdamScalarsBody{h, &scalars[0], &scalars[1], args});
  EXPECT_EQ(visits, std::vector<int>{1});
  EXPECT_EQ(scalars[1], 7.0f);
  EXPECT_TRUE(equal_args(*args, adam_step_args(h, 2e-4f, 7.0)));
  EXPECT_EQ(scalars[0], 2e-4f);  // read, not written
}

TEST(OptimScalars, SgdCountBodyAdvancesTheCount) {
  float step = 41.0f;
  EXPECT_EQ(test::emulate_grid_stride(1, SgdCountBody{&step}), std::vector<int>{1});
  EXPECT_EQ(step, 42.0f);
}

struct SgdCase {
  float momentum, weight_decay;
  bool nesterov;
};

TEST(OptimBodies, SgdUpdateEqualsTheCpuOp) {
  for (const SgdCase& c :
       {SgdCase{0.0f, 0.0f, false}, SgdCase{0.9f, 0.0f, false}, SgdCase{0.9f, 0.0f, true},
        SgdCase{0.5f, 0.01f, false}, SgdCase{0.9f, 0.1f, true}})
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{257}, int64_t{100003}}) {
      const SgdStepArgs a = sgd_step_args(SgdHyper{c.momentum, c.weight_decay, c.nesterov}, 0.05f);
      const std::vector<float> g = wave(n, 1.0f, 0.3f);
      std::vector<float> p_cpu = wave(n, 2.0f, 0.1f), v_cpu = wave(n, 0.5f, 1.1f);
      std::vector<float> p_body = p_cpu, v_body = v_cpu;
      sgd_step(cpu_backend(), a, p_cpu.data(), g.data(), v_cpu.data(), n);
      const std::vector<int> visits =
          test::emulate_grid_stride(n, SgdUpdateBody{a, p_body.data(), g.data(), v_body.data()});
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(visits[i], 1) << i;
        ASSERT_TRUE(same_bits(p_body[i], p_cpu[i])) << "p, n " << n << " index " << i;
        ASSERT_TRUE(same_bits(v_body[i], v_cpu[i])) << "velocity, n " << n << " index " << i;
      }
    }
}

TEST(OptimBodies, AdamUpdateEqualsTheCpuOp) {
  for (bool decoupled : {false, true})
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{257}, int64_t{100003}}) {
      const AdamStepArgs a =
          adam_step_args(AdamHyper{0.9f, 0.999f, 1e-8f, 0.05f, decoupled}, 1e-3f, 4.0);
      const std::vector<float> g = wave(n, 1.0f, 0.3f);
      std::vector<float> p_cpu = wave(n, 2.0f, 0.1f), m_cpu = wave(n, 0.1f, 0.7f);
      std::vector<float> v_cpu(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) v_cpu[i] = 1e-3f * (1.0f + std::cos(0.11f * i));  // >= 0
      std::vector<float> p_body = p_cpu, m_body = m_cpu, v_body = v_cpu;
      adam_step(cpu_backend(), a, p_cpu.data(), g.data(), m_cpu.data(), v_cpu.data(), n);
      const std::vector<int> visits = test::emulate_grid_stride(
          n, AdamUpdateBody{a, p_body.data(), g.data(), m_body.data(), v_body.data()});
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(visits[i], 1) << i;
        ASSERT_TRUE(same_bits(p_body[i], p_cpu[i])) << "p, n " << n << " index " << i;
        ASSERT_TRUE(same_bits(m_body[i], m_cpu[i])) << "m, n " << n << " index " << i;
        ASSERT_TRUE(same_bits(v_body[i], v_cpu[i])) << "v, n " << n << " index " << i;
      }
    }
}

// Ten steps of the CPU optimizer on a tensor and of the emulated device step on `p` (the same
// values), each with the learning rate of its step, written into the scalars before it as the
// optimizer writes it into the device's; the step count (scalars[1]) and the parameters are the
// CPU's bit for bit after each step. device_step(g) runs the device step's bodies on gradient g.
template <class DeviceStep>
void take_ten_steps(Optimizer& cpu, std::vector<float>& p, float* scalars, const float* lrs,
                    const DeviceStep& device_step) {
  const int64_t n = static_cast<int64_t>(p.size());
  Tensor p_cpu(Shape{n}), g(Shape{n});
  for (int64_t i = 0; i < n; ++i) p_cpu[i] = p[i];
  for (int s = 0; s < 10; ++s) {
    for (int64_t i = 0; i < n; ++i) g[i] = std::sin(0.7f * i + static_cast<float>(s));
    cpu.set_lr(lrs[s]);
    cpu.step(p_cpu, g);
    scalars[0] = lrs[s];
    device_step(g);
    ASSERT_EQ(scalars[1], static_cast<float>(s + 1));
    for (int64_t i = 0; i < n; ++i)
      ASSERT_TRUE(same_bits(p[i], p_cpu[i])) << "step " << s + 1 << " index " << i;
  }
}

// The CUDA steps' sequence (core/ops/adam.cu, sgd.cu, and the optimizers' device path) with host
// memory standing in for the device's: the learning rate written into the scalars before each
// step, the single-thread prologue, then the update reading what the prologue left.
TEST(OptimBodies, EmulatedDeviceStepsTakeTheCpuOptimizersSteps) {
  const int64_t n = 1003;
  const float lrs[] = {1e-3f, 1e-3f, 5e-4f, 2e-3f, 1e-4f, 1e-4f, 3e-4f, 1e-3f, 7e-4f, 2e-4f};
  for (bool decoupled : {false, true}) {
    const AdamOptions o{.lr = lrs[0], .beta1 = 0.5f, .weight_decay = 0.01f, .decoupled = decoupled};
    const AdamHyper h{o.beta1, o.beta2, o.eps, o.weight_decay, o.decoupled};
    Adam cpu(o);
    std::vector<float> p = wave(n, 1.0f, 0.2f), m(n, 0.0f), v(n, 0.0f);
    std::vector<float> scalars(2 + sizeof(AdamStepArgs) / sizeof(float), std::nanf(""));
    scalars[1] = 0.0f;  // the step count carried into the device scalars
    auto* args = reinterpret_cast<AdamStepArgs*>(scalars.data() + 2);
    take_ten_steps(cpu, p, scalars.data(), lrs, [&](const Tensor& g) {
      test::emulate_grid_stride(1, AdamScalarsBody{h, &scalars[0], &scalars[1], args});
      test::emulate_grid_stride(n, AdamUpdateBody{*args, p.data(), g.data(), m.data(), v.data()});
    });
    ASSERT_FALSE(HasFatalFailure());
    std::vector<Tensor*> st = cpu.state();
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(same_bits(m[i], (*st[0])[i])) << i;
      ASSERT_TRUE(same_bits(v[i], (*st[1])[i])) << i;
    }
    EXPECT_EQ((*st[2])[0], scalars[1]);
  }
  for (bool nesterov : {false, true}) {
    const SGDOptions o{.lr = lrs[0], .momentum = 0.9f, .weight_decay = 0.01f, .nesterov = nesterov};
    const SgdHyper h{o.momentum, o.weight_decay, o.nesterov};
    SGD cpu(o);
    std::vector<float> p = wave(n, 1.0f, 0.2f), vel(n, 0.0f);
    float scalars[2] = {std::nanf(""), 0.0f};
    take_ten_steps(cpu, p, scalars, lrs, [&](const Tensor& g) {
      test::emulate_grid_stride(1, SgdCountBody{&scalars[1]});
      test::emulate_grid_stride(
          n, SgdUpdateBody{sgd_step_args(h, scalars[0]), p.data(), g.data(), vel.data()});
    });
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(cpu.steps(), 10);
  }
}

}  // namespace
}  // namespace strata
