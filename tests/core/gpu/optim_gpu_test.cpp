// The CUDA optimizer steps against the CPU's: SGD (plain, momentum, Nesterov, weight decay), Adam
// and AdamW, ten steps from the same values with the learning rate changed between steps, at the
// benchmark models' parameter counts and at edge sizes. Through the optimizer classes (the
// learning rate written to device memory each step, the step count advanced on the device) and
// through the ops directly (the learning rate copied into device memory, as a replayed graph would
// get it; the count and the step's scalars read back). fp32 on both sides; nvcc fuses
// multiply-adds the CPU rounds twice, so values differ by an ulp or two per step: after ten steps
// parameters and moments agree within rtol 1e-5 (atol 1e-6; 1e-12 for Adam's v, which is ~g^2).
// Two GPU runs are bitwise equal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/ops/adam.h"
#include "core/ops/kernels/optim.h"
#include "core/ops/sgd.h"
#include "core/optim/optimizer.h"
#include "tests/core/gpu/op_check.h"

namespace strata {
namespace {

using gpu_test::close;
using gpu_test::download;
using gpu_test::inputs;
using gpu_test::upload;

constexpr int kSteps = 10;
const float kLrs[kSteps] = {1e-3f, 1e-3f, 5e-4f, 2e-3f, 1e-4f, 1e-4f, 3e-4f, 1e-3f, 7e-4f, 2e-4f};

// Parameter counts: edge sizes, dcgan28's discriminator, sae_layer1 and sae_finetune.
const int64_t kSizes[] = {1, 3, 1001, 138817, 1569784, 2837314};

Tensor host_tensor(const std::vector<float>& v) {
  Tensor t(Shape{static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t[static_cast<int64_t>(i)] = v[i];
  return t;
}

std::vector<float> host_values(const Tensor& t) {
  return t.on_cpu() ? std::vector<float>(t.data(), t.data() + t.numel()) : download(t);
}

struct StepsRun {
  std::vector<float> params;
  std::vector<std::vector<float>> state;  // state() in order, read back to the host
  int64_t steps = 0;
};

// kSteps steps of `opt` on n parameters on `device`, with gradients and learning rates that change
// from step to step.
StepsRun run_steps(Optimizer& opt, int64_t n, Device device) {
  Tensor p = host_tensor(inputs(n, 1.0f, 11)).to(device);
  for (int s = 0; s < kSteps; ++s) {
    const Tensor grads = host_tensor(inputs(n, 1.0f, 100 + static_cast<uint32_t>(s))).to(device);
    opt.set_lr(kLrs[s]);
    opt.step(p, grads);
  }
  StepsRun r;
  r.params = host_values(p);
  for (Tensor* t : opt.state()) {
    EXPECT_EQ(t->device(), device) << "state of " << opt.kind();
    r.state.push_back(host_values(*t));
  }
  r.steps = opt.steps();
  return r;
}

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>()>;

// The GPU's run against the CPU's; the last state tensor is the step count.
void expect_gpu_matches_cpu(const MakeOptimizer& make, const std::string& what,
                            const std::vector<float>& state_atol) {
  for (int64_t n : kSizes) {
    const std::string where = what + ", n " + std::to_string(n);
    std::unique_ptr<Optimizer> cpu = make(), gpu = make();
    const StepsRun want = run_steps(*cpu, n, Device::cpu());
    const StepsRun got = run_steps(*gpu, n, Device::cuda(0));
    EXPECT_TRUE(close(got.params, want.params, 1e-5f, 1e-6f, where + ": parameters"));
    ASSERT_EQ(got.state.size(), want.state.size());
    ASSERT_EQ(got.state.size(), state_atol.size() + 1);
    for (size_t k = 0; k < state_atol.size(); ++k)
      EXPECT_TRUE(close(got.state[k], want.state[k], 1e-5f, state_atol[k],
                        where + ": state" + std::to_string(k)));
    EXPECT_EQ(got.state.back(), std::vector<float>{static_cast<float>(kSteps)}) << where;
    EXPECT_EQ(got.steps, kSteps) << where;
    EXPECT_EQ(want.steps, kSteps) << where;
  }
}

TEST(OptimGpu, SgdMatchesTheCpu) {
  const SGDOptions cases[] = {
      {.lr = 0.1f},
      {.lr = 0.1f, .momentum = 0.9f},
      {.lr = 0.1f, .momentum = 0.9f, .nesterov = true},
      {.lr = 0.1f, .weight_decay = 0.01f},
      {.lr = 0.1f, .momentum = 0.5f, .weight_decay = 0.1f, .nesterov = true},
  };
  for (const SGDOptions& o : cases)
    expect_gpu_matches_cpu([&] { return std::make_unique<SGD>(o); },
                           "sgd momentum " + std::to_string(o.momentum) + " wd " +
                               std::to_string(o.weight_decay) + (o.nesterov ? " nesterov" : ""),
                           {1e-6f});
}

TEST(OptimGpu, AdamAndAdamWMatchTheCpu) {
  const AdamOptions cases[] = {
      {.lr = 1e-3f},                                           // the autoencoders
      {.lr = 2e-4f, .beta1 = 0.5f},                            // the DCGANs
      {.lr = 1e-3f, .weight_decay = 0.01f},                    // Adam's L2
      {.lr = 1e-3f, .weight_decay = 0.1f, .decoupled = true},  // AdamW
      {.lr = 1e-3f, .beta1 = 0.5f, .eps = 1e-6f, .weight_decay = 0.5f, .decoupled = true},
  };
  for (const AdamOptions& o : cases)
    expect_gpu_matches_cpu([&] { return std::make_unique<Adam>(o); },
                           std::string(o.decoupled ? "adamw" : "adam") + " b1 " +
                               std::to_string(o.beta1) + " wd " + std::to_string(o.weight_decay),
                           {1e-6f, 1e-12f});
}

TEST(OptimGpu, TwoRunsAreBitwiseEqual) {
  const int64_t n = 1569784;
  for (bool adam : {false, true}) {
    auto make = [&]() -> std::unique_ptr<Optimizer> {
      if (adam) return std::make_unique<Adam>(AdamOptions{.lr = 1e-3f, .weight_decay = 0.1f});
      return std::make_unique<SGD>(SGDOptions{.lr = 0.1f, .momentum = 0.9f, .nesterov = true});
    };
    std::unique_ptr<Optimizer> a = make(), b = make();
    const StepsRun ra = run_steps(*a, n, Device::cuda(0)), rb = run_steps(*b, n, Device::cuda(0));
    EXPECT_TRUE(close(ra.params, rb.params, 0.0f, 0.0f, "parameters"));
    for (size_t k = 0; k < ra.state.size(); ++k)
      EXPECT_TRUE(close(ra.state[k], rb.state[k], 0.0f, 0.0f, "state" + std::to_string(k)));
  }
}

// As a checkpoint reader leaves an optimizer before its first step: its state filled on the CPU
// (the moments resized there). The GPU step moves it to the parameters' device and continues the
// count (bias correction at t = 3, not 1).
TEST(OptimGpu, ContinuesFromStateRestoredOnTheHost) {
  const int64_t n = 1001;
  const AdamOptions o{.lr = 1e-3f, .beta1 = 0.5f};
  Adam cpu(o), restored(o);
  Tensor p = host_tensor(inputs(n, 1.0f, 3)), gt = host_tensor(inputs(n, 1.0f, 4));
  cpu.step(p, gt);
  cpu.step(p, gt);
  const std::vector<Tensor*> from = cpu.state(), to = restored.state();
  for (size_t k = 0; k < from.size(); ++k) {
    to[k]->resize(from[k]->shape());
    to[k]->copy_from(*from[k]);
  }
  Tensor p_gpu = p.to(Device::cuda(0)), g_gpu = gt.to(Device::cuda(0));
  cpu.step(p, gt);
  restored.step(p_gpu, g_gpu);
  EXPECT_EQ(restored.steps(), 3);
  EXPECT_TRUE(close(download(p_gpu), host_values(p), 1e-6f, 1e-7f, "third step"));
  for (Tensor* t : restored.state()) EXPECT_EQ(t->device(), Device::cuda(0));
}

// The ops alone, as a captured step would run them: the learning rate copied into device memory
// before each step, the count and the scalars read back after it.
TEST(OptimGpu, AdamOpReadsLrAndCountFromDeviceMemory) {
  const int64_t n = 100003;
  const AdamHyper h{0.9f, 0.999f, 1e-8f, 0.1f, true};
  const int64_t ws = adam_step_workspace(gpu_test::gpu());
  Tensor scalars = upload(std::vector<float>(static_cast<size_t>(2 + ws), std::nanf("")));
  Tensor lr = Tensor::view(scalars.data(), Shape{1}, Device::cuda(0));
  Tensor count = Tensor::view(scalars.data() + 1, Shape{1}, Device::cuda(0));
  Tensor c0(Shape{1});
  c0[0] = 4.0f;  // a count carried over from earlier steps
  copy(count, c0);
  std::vector<float> p = inputs(n, 1.0f, 5), m(n, 0.0f), v(n, 0.0f);
  Tensor gp = upload(p), gm = upload(m), gv = upload(v);
  for (int s = 0; s < kSteps; ++s) {
    const std::vector<float> g = inputs(n, 1.0f, 200 + static_cast<uint32_t>(s));
    Tensor gg = upload(g), lr_host(Shape{1});
    lr_host[0] = kLrs[s];
    copy(lr, lr_host);
    adam_step(gpu_test::gpu(), h, scalars.data(), scalars.data() + 1, scalars.data() + 2, gp.data(),
              gg.data(), gm.data(), gv.data(), n);
    const double t = 5.0 + s;
    const AdamStepArgs want = adam_step_args(h, kLrs[s], t);
    adam_step(cpu_backend(), want, p.data(), g.data(), m.data(), v.data(), n);
    const std::vector<float> back = download(scalars);
    ASSERT_EQ(back[0], kLrs[s]) << "the op must not write the learning rate";
    ASSERT_EQ(back[1], static_cast<float>(t)) << "step " << s;
    AdamStepArgs got;
    static_assert(sizeof(AdamStepArgs) == 7 * sizeof(float));
    std::memcpy(static_cast<void*>(&got), back.data() + 2, sizeof got);
    // CUDA's pow in double may move a float by one rounding.
    EXPECT_NEAR(got.step_size, want.step_size, 2e-7 * want.step_size) << "t " << t;
    EXPECT_NEAR(got.inv_sqrt_bc2, want.inv_sqrt_bc2, 2e-7 * want.inv_sqrt_bc2) << "t " << t;
    EXPECT_EQ(got.shrink, want.shrink) << "t " << t;
    EXPECT_EQ(got.l2, want.l2);
    EXPECT_EQ(got.b1, want.b1);
    EXPECT_EQ(got.b2, want.b2);
    EXPECT_EQ(got.eps, want.eps);
  }
  EXPECT_TRUE(close(download(gp), p, 1e-5f, 1e-6f, "parameters"));
  EXPECT_TRUE(close(download(gm), m, 1e-5f, 1e-6f, "m"));
  EXPECT_TRUE(close(download(gv), v, 1e-5f, 1e-12f, "v"));
}

TEST(OptimGpu, SgdOpReadsLrAndAdvancesTheCount) {
  const int64_t n = 1001;
  const SgdHyper h{0.9f, 0.01f, true};
  Tensor scalars = upload({0.0f, 0.0f});
  std::vector<float> p = inputs(n, 1.0f, 6), vel(n, 0.0f);
  Tensor gp = upload(p), gvel = upload(vel);
  for (int s = 0; s < kSteps; ++s) {
    const std::vector<float> g = inputs(n, 1.0f, 300 + static_cast<uint32_t>(s));
    Tensor gg = upload(g), lr_host(Shape{1});
    lr_host[0] = kLrs[s];
    Tensor lr = Tensor::view(scalars.data(), Shape{1}, Device::cuda(0));
    copy(lr, lr_host);
    sgd_step(gpu_test::gpu(), h, scalars.data(), scalars.data() + 1, gp.data(), gg.data(),
             gvel.data(), n);
    sgd_step(cpu_backend(), sgd_step_args(h, kLrs[s]), p.data(), g.data(), vel.data(), n);
    ASSERT_EQ(download(scalars), (std::vector<float>{kLrs[s], static_cast<float>(s + 1)}));
  }
  EXPECT_TRUE(close(download(gp), p, 1e-5f, 1e-6f, "parameters"));
  EXPECT_TRUE(close(download(gvel), vel, 1e-5f, 1e-6f, "velocity"));
}

}  // namespace
}  // namespace strata
