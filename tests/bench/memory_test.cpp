// Memory of the benchmark models' training steps (the trainers' own steps), on the CPU and on the
// emulated device, in place and with in-place activations off (Sequential::set_in_place):
//   - after the warm-up a step allocates nothing on the device: the peak of three steps is the
//     memory held before them;
//   - in place, the steady memory is lower by exactly the outputs the in-place activations no
//     longer own, computed from the layers' kinds and shapes (tests/bench/memory_expect.h), plus
//     the smaller input-gradient buffers; the networks' activation buffers are the bytes the
//     shapes give;
//   - the parameters after the steps are the same bits either way.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "bench/step.h"
#include "core/memory.h"
#include "tests/bench/memory_expect.h"

namespace strata::bench {
namespace {

constexpr int64_t kBatch = 4;

struct StepRun {
  int64_t held = 0;  // device bytes after the warm-up, above what was there before the step
  int64_t peak = 0;  // the peak of the timed steps, on the same base
  int64_t saving_expected = 0;
  int64_t activations = 0, activations_expected = 0, input_grads = 0;
  std::vector<std::vector<float>> params;
};

StepRun train(const ModelInfo& info, Device device, bool in_place) {
  const int64_t base = memory_stats(device).current_bytes;
  StepRun r;
  {
    StepParallel par;
    par.device = device;
    std::unique_ptr<TrainStep> step = make_train_step(info, kBatch, 3, par);
    for (Sequential* m : testing::networks(*step)) m->set_in_place(in_place);
    ResidentData data(info, step->sample_shape(), kBatch, 2, 5, device);
    for (uint64_t s = 0; s < 2; ++s) step->run(data.batch_view(s), s);  // warm-up: sizes it all
    reset_peak_memory(device);
    r.held = memory_stats(device).current_bytes - base;
    for (uint64_t s = 2; s < 5; ++s) step->run(data.batch_view(s), s);
    r.peak = memory_stats(device).peak_bytes - base;
    const testing::NetsMemory nets = testing::nets_memory(*step);
    r.activations = nets.activations;
    r.input_grads = nets.input_grads;
    for (Sequential* m : testing::networks(*step)) {
      const testing::ActivationBytes e = testing::expected_activation_bytes(*m);
      r.saving_expected += e.in_place;
      r.activations_expected += e.owned + (in_place ? 0 : e.in_place);
      const Tensor p = m->params().to(Device::cpu());
      r.params.emplace_back(p.data(), p.data() + p.numel());
    }
  }
  EXPECT_EQ(memory_stats(device).current_bytes, base) << "the step freed all it allocated";
  return r;
}

class StepMemory : public ::testing::TestWithParam<std::tuple<const char*, bool>> {};

TEST_P(StepMemory, InPlaceSavesTheActivationsTheShapesGiveAndChangesNoValue) {
  const ModelInfo& info = find_model(std::get<0>(GetParam()));
  const Device device = std::get<1>(GetParam()) ? Device::emulated() : Device::cpu();
  const StepRun on = train(info, device, true), off = train(info, device, false);
  for (const StepRun* r : {&on, &off}) {
    EXPECT_EQ(r->peak, r->held) << "a steady-state step allocated on " << device.str();
    EXPECT_EQ(r->activations, r->activations_expected);
  }
  EXPECT_GT(on.saving_expected, 0);
  // The activations the shapes give, and the input-gradient buffers, smaller where activations
  // write dx over dy (tests/core/sequential_in_place_test.cpp checks their plan).
  EXPECT_GE(off.input_grads, on.input_grads);
  EXPECT_EQ(off.held - on.held, on.saving_expected + (off.input_grads - on.input_grads));
  ASSERT_EQ(on.params.size(), off.params.size());
  for (size_t n = 0; n < on.params.size(); ++n) {
    ASSERT_EQ(on.params[n].size(), off.params[n].size());
    for (size_t i = 0; i < on.params[n].size(); ++i)
      ASSERT_EQ(on.params[n][i], off.params[n][i]) << "network " << n << ", parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(BenchStep, StepMemory,
                         ::testing::Combine(::testing::Values("sae_finetune", "sae_layer1",
                                                              "dcgan28", "dcgan64"),
                                            ::testing::Bool()),
                         [](const auto& p) {
                           return std::string(std::get<0>(p.param)) +
                                  (std::get<1>(p.param) ? "_emulated" : "_cpu");
                         });

}  // namespace
}  // namespace strata::bench
