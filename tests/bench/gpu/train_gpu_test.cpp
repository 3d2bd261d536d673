// The four benchmark models of bench/MODELS.md trained for 10 steps on the GPU against the same
// steps on the CPU, from the same initial weights and the same data (MODELS.md's batch sizes and
// Adam settings, the trainers' own steps): every step's losses and the final parameters agree
// within the stated tolerances; and two GPU runs give the same bits (deterministic algorithms).
//
// Tolerances (fp32; the GPU sums in another order and uses its own exp/log/tanh):
//   losses of every step         |gpu - cpu| <= 2e-3 |cpu| + 1e-4
//   parameters after 10 steps    ||p_gpu - p_cpu|| <= 2e-2 ||p_cpu - p_0||  (the norm of what the
//                                10 Adam steps moved; Adam's early steps are near sign(g) lr, so
//                                a gradient component near zero may move differently)
// At tf32 and bf16 (sae_finetune: dense; dcgan28: the convolutions), the GPU against the CPU's
// emulation of the same precision (core/precision.h), looser: an operand a step's earlier
// differences move across a rounding boundary changes by one bf16 or TF32 step, and a TF32 kernel
// may round operands otherwise than the emulation (truncating):
//   bf16  losses 5e-3 |cpu| + 1e-4, parameters 5e-2 of the move
//   tf32  losses 1e-2 |cpu| + 1e-4, parameters 1e-1 of the move
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/models.h"
#include "bench/step.h"
#include "core/backend.h"
#include "core/precision.h"

namespace strata::bench {
namespace {

constexpr int kSteps = 10;
const Device kGpu = Device::cuda(0);

std::vector<float> host_values(const Tensor& t) {
  const Tensor h = t.to(Device::cpu());
  return std::vector<float>(h.data(), h.data() + h.numel());
}

// The flat parameters of every network of a step, on the host.
std::vector<std::vector<float>> params_of(TrainStep& step) {
  if (auto* ae = dynamic_cast<AutoencoderStep*>(&step)) return {host_values(ae->net().params())};
  auto& gan = dynamic_cast<GanStep&>(step);
  return {host_values(gan.gan().g.params()), host_values(gan.gan().d.params())};
}

struct Trained {
  std::vector<StepLosses> losses;
  std::vector<std::vector<float>> initial, final;
};

Trained train(const ModelInfo& info, Device device, Precision precision = Precision::kFp32) {
  StepParallel par;
  par.device = device;
  par.precision = precision;
  std::unique_ptr<TrainStep> step = make_train_step(info, info.batch, 7, par);
  ResidentData data(info, step->sample_shape(), info.batch, 2, 11, device);
  Trained t;
  t.initial = params_of(*step);
  for (uint64_t s = 0; s < kSteps; ++s) {
    step->run(data.batch_view(s), s);
    t.losses.push_back(step->losses());
  }
  t.final = params_of(*step);
  return t;
}

double distance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
  return std::sqrt(s);
}

class BenchModelOnGpu : public ::testing::TestWithParam<std::string> {};

TEST_P(BenchModelOnGpu, TenStepsMatchTheCpu) {
  const ModelInfo& info = find_model(GetParam());
  const Trained cpu = train(info, Device::cpu()), gpu = train(info, kGpu);
  ASSERT_EQ(cpu.initial.size(), gpu.initial.size());
  for (size_t n = 0; n < cpu.initial.size(); ++n)
    ASSERT_EQ(cpu.initial[n], gpu.initial[n]) << "network " << n << ": the same initial weights";
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_NEAR(gpu.losses[s].loss, cpu.losses[s].loss, 2e-3 * std::fabs(cpu.losses[s].loss) + 1e-4)
        << "step " << s;
    EXPECT_NEAR(gpu.losses[s].d_loss, cpu.losses[s].d_loss,
                2e-3 * std::fabs(cpu.losses[s].d_loss) + 1e-4)
        << "step " << s;
  }
  for (size_t n = 0; n < cpu.final.size(); ++n) {
    const double moved = distance(cpu.final[n], cpu.initial[n]);
    const double off = distance(gpu.final[n], cpu.final[n]);
    ASSERT_GT(moved, 0.0);
    EXPECT_LE(off, 2e-2 * moved) << "network " << n << ": moved " << moved << ", GPU off by "
                                 << off;
    std::printf("%s network %zu: moved %.6g, GPU - CPU %.3g (%.2e of the move)\n", info.name, n,
                moved, off, off / moved);
  }
}

TEST_P(BenchModelOnGpu, TwoGpuRunsGiveTheSameBits) {
  const ModelInfo& info = find_model(GetParam());
  const Trained a = train(info, kGpu), b = train(info, kGpu);
  for (int s = 0; s < kSteps; ++s) {
    EXPECT_EQ(a.losses[s].loss, b.losses[s].loss) << "step " << s;
    EXPECT_EQ(a.losses[s].d_loss, b.losses[s].d_loss) << "step " << s;
  }
  for (size_t n = 0; n < a.final.size(); ++n) EXPECT_EQ(a.final[n], b.final[n]) << "network " << n;
}

TEST(BenchModelsOnGpu, TenStepsAtTf32AndBf16MatchTheCpusEmulation) {
  for (const char* name : {"sae_finetune", "dcgan28"})
    for (Precision p : {Precision::kBf16, Precision::kTf32}) {
      const ModelInfo& info = find_model(name);
      const std::string at = std::string(name) + " at " + precision_name(p);
      const double loss_rtol = p == Precision::kBf16 ? 5e-3 : 1e-2;
      const double param_rtol = p == Precision::kBf16 ? 5e-2 : 1e-1;
      const Trained cpu = train(info, Device::cpu(), p), gpu = train(info, kGpu, p);
      for (int s = 0; s < kSteps; ++s) {
        EXPECT_NEAR(gpu.losses[s].loss, cpu.losses[s].loss,
                    loss_rtol * std::fabs(cpu.losses[s].loss) + 1e-4)
            << at << ", step " << s;
        EXPECT_NEAR(gpu.losses[s].d_loss, cpu.losses[s].d_loss,
                    loss_rtol * std::fabs(cpu.losses[s].d_loss) + 1e-4)
            << at << ", step " << s;
      }
      for (size_t n = 0; n < cpu.final.size(); ++n) {
        const double moved = distance(cpu.final[n], cpu.initial[n]);
        const double off = distance(gpu.final[n], cpu.final[n]);
        EXPECT_LE(off, param_rtol * moved)
            << at << ", network " << n << ": moved " << moved << ", GPU off by " << off;
        std::printf("%s network %zu: moved %.6g, GPU - CPU %.3g (%.2e of the move)\n", at.c_str(),
                    n, moved, off, off / moved);
      }
      const Trained again = train(info, kGpu, p);
      for (size_t n = 0; n < gpu.final.size(); ++n)
        EXPECT_EQ(again.final[n], gpu.final[n]) << at << ", network " << n << ": not deterministic";
    }
}

INSTANTIATE_TEST_SUITE_P(Models, BenchModelOnGpu,
                         ::testing::Values("sae_finetune", "sae_layer1", "dcgan28", "dcgan64"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace strata::bench
