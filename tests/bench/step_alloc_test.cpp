// A steady-state benchmark step (masking, latent draws, both GAN phases, losses, Adam) allocates
// no heap memory: the allocations counted are this test program's operator new, which also backs
// every Tensor's shared storage handle.
#include <gtest/gtest.h>

#include <string>

#include "bench/step.h"
#include "tests/support/heap_counter.h"

namespace strata::bench {
namespace {

class SteadyState : public ::testing::TestWithParam<const char*> {};

TEST_P(SteadyState, StepAllocatesNothing) {
  const ModelInfo& info = find_model(GetParam());
  std::unique_ptr<TrainStep> step = make_train_step(info, 4, 1);
  ResidentData data(info, step->sample_shape(), 4, 2, 1);
  for (uint64_t s = 0; s < 2; ++s) step->run(data.batch_view(s), s);  // warm-up: scratch, moments
  const long before = testing::heap_allocations();
  for (uint64_t s = 2; s < 5; ++s) step->run(data.batch_view(s), s);
  EXPECT_EQ(testing::heap_allocations() - before, 0) << "heap allocations in 3 steady-state steps";
}

INSTANTIATE_TEST_SUITE_P(BenchStep, SteadyState,
                         ::testing::Values("sae_finetune", "sae_layer1", "dcgan28", "dcgan64"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace strata::bench
