// Device memory of the four benchmark models' training steps on the GPU, at MODELS.md's batch
// sizes, in place (the default) and with in-place activations off:
//   - after two warm-up steps a step allocates nothing: the accounted peak of three steps is the
//     memory held before them;
//   - each network's activation buffers are the bytes its layers' shapes give
//     (tests/bench/memory_expect.h, 512-byte blocks), the gradient buffers at least the largest
//     layer, and what the step holds is at least the networks (a GAN's shared scratch once),
//     Adam's two moments and the data;
//   - in place saves exactly the in-place activations' outputs (and what the smaller
//     input-gradient buffers save), and changes no parameter bit.
// Prints, per model, the accounted peak and its parts, and cudaMemGetInfo's growth over the run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/step.h"
#include "core/memory.h"
#include "tests/bench/memory_expect.h"

namespace strata::bench {
namespace {

const Device kGpu = Device::cuda(0);

double mib(int64_t b) {
  return static_cast<double>(b) / 1048576.0;
}

struct StepRun {
  int64_t held = 0, peak = 0, used_growth = 0;
  int64_t nets = 0, activations = 0, activations_expected = 0, saving_expected = 0;
  int64_t input_grads = 0, input_grads_largest = 0, input_grads_sum = 0, adam = 0, data = 0;
  std::vector<std::vector<float>> params;
};

// Memory is measured against what is left on the GPU when the step is gone (so what the
// backend or a library keeps from its first use is not counted as the step's).
StepRun train(const ModelInfo& info, bool in_place) {
  const MemoryStats start = memory_stats(kGpu);
  StepRun r;
  int64_t current = 0, peak = 0;
  {
    StepParallel par;
    par.device = kGpu;
    std::unique_ptr<TrainStep> step = make_train_step(info, info.batch, 3, par);
    for (Sequential* m : testing::networks(*step)) m->set_in_place(in_place);
    ResidentData data(info, step->sample_shape(), info.batch, 2, 5, kGpu);
    for (uint64_t s = 0; s < 2; ++s) step->run(data.batch_view(s), s);
    backend_for(kGpu).synchronize();
    reset_peak_memory(kGpu);
    current = memory_stats(kGpu).current_bytes;
    for (uint64_t s = 2; s < 5; ++s) step->run(data.batch_view(s), s);
    backend_for(kGpu).synchronize();
    const MemoryStats now = memory_stats(kGpu);
    peak = now.peak_bytes;
    r.used_growth = now.device_used_bytes - start.device_used_bytes;
    r.data = accounted_bytes(
        kGpu, static_cast<size_t>(2 * info.batch * step->sample_shape().numel()) * sizeof(float));
    const testing::NetsMemory nets = testing::nets_memory(*step);
    r.nets = nets.total;
    r.activations = nets.activations;
    r.input_grads = nets.input_grads;
    r.adam = 2 * nets.params;  // m and v, each the size of the flat parameters
    for (Sequential* m : testing::networks(*step)) {
      const testing::ActivationBytes e = testing::expected_activation_bytes(*m);
      r.activations_expected += e.owned + (in_place ? 0 : e.in_place);
      r.saving_expected += e.in_place;
      int64_t largest = m->activation_shape(0)[0] * m->input_sample_shape().numel();
      for (int i = 0; i < m->num_layers(); ++i)
        largest = std::max(largest, m->activation_shape(i).numel());
      const int64_t bytes = accounted_bytes(kGpu, static_cast<size_t>(largest) * sizeof(float));
      r.input_grads_largest = std::max(r.input_grads_largest, bytes);
      r.input_grads_sum += bytes;
      const Tensor p = m->params().to(Device::cpu());
      r.params.emplace_back(p.data(), p.data() + p.numel());
    }
  }
  const int64_t left = memory_stats(kGpu).current_bytes;
  r.held = current - left;
  r.peak = peak - left;
  return r;
}

class GpuStepMemory : public ::testing::TestWithParam<const char*> {};

TEST_P(GpuStepMemory, PeakIsWhatTheShapesGive) {
  const ModelInfo& info = find_model(GetParam());
  const StepRun on = train(info, true), off = train(info, false);
  for (const StepRun* r : {&on, &off}) {
    const char* what = r == &on ? "in place" : "out of place";
    std::printf(
        "%s %s: peak %.2f MiB accounted (networks %.2f, of which activations %.2f and input "
        "gradients %.2f; Adam %.2f; data %.2f; the rest %.2f); device used grew %.2f MiB\n",
        info.name, what, mib(r->peak), mib(r->nets), mib(r->activations), mib(r->input_grads),
        mib(r->adam), mib(r->data), mib(r->held - r->nets - r->adam - r->data),
        mib(r->used_growth));
    EXPECT_EQ(r->peak, r->held) << what << ": a steady-state step allocated on the GPU";
    EXPECT_EQ(r->activations, r->activations_expected) << what;
    // Two ping-pong buffers per network (a GAN's G and D share theirs), at least one of them the
    // size of the largest layer.
    EXPECT_GE(r->input_grads, r->input_grads_largest) << what;
    EXPECT_LE(r->input_grads, 2 * r->input_grads_sum) << what;
    EXPECT_GE(r->held, r->nets + r->adam + r->data) << what;
  }
  std::fflush(stdout);
  EXPECT_EQ(off.held - on.held, on.saving_expected + (off.input_grads - on.input_grads));
  ASSERT_EQ(on.params.size(), off.params.size());
  for (size_t n = 0; n < on.params.size(); ++n)
    for (size_t i = 0; i < on.params[n].size(); ++i)
      ASSERT_EQ(on.params[n][i], off.params[n][i]) << "network " << n << ", parameter " << i;
}

INSTANTIATE_TEST_SUITE_P(BenchModels, GpuStepMemory,
                         ::testing::Values("sae_finetune", "sae_layer1", "dcgan28", "dcgan64"),
                         [](const auto& p) { return std::string(p.param); });

}  // namespace
}  // namespace strata::bench
