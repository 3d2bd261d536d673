// Training the stacked autoencoder's phases on small synthetic batches: every phase lowers its
// loss, finetune starts from the pretrained stages, the supervised head learns a separable set.
#include <gtest/gtest.h>

#include <set>

#include "tests/trainers/kinds/kinds_test_util.h"
#include "trainers/kinds/mirror.h"
#include "trainers/kinds/stacked_autoencoder.h"

namespace strata {
namespace {

using test::build_kind;
using test::metric;
using test::parse_kind;
using test::position;
using test::separable_batch;

const char* const kConfig = R"(
model:
  input_shape: [1, 8, 8]
  encoder:
    - {type: dense, units: 24, activation: relu}
    - {type: dense, units: 6, activation: linear}
optimizer: {kind: adam, lr: 0.01}
trainer:
  kind: stacked_autoencoder
  batch_size: 32
  pretrain: {epochs: 1, corruption: {kind: gaussian, stddev: 0.05}, dropout: 0.1}
  finetune: {epochs: 1}
  supervised: {epochs: 1, classes: 4, optimizer: {kind: adam, lr: 0.005}}
)";

// Runs `steps` steps of `phase` on one fixed batch; returns the first and last "loss".
std::pair<double, double> train(Phase& phase, const Batch& b, int steps, uint64_t first_step) {
  double first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    const Metrics m = phase.step(b, position(first_step + s, b.size)).read();
    if (s == 0) first = metric(m, "loss");
    last = metric(m, "loss");
  }
  return {first, last};
}

bool same_values(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) return false;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

NamedParam& param(Sequential& net, const std::string& name) {
  for (NamedParam& p : net.named_params())
    if (p.name == name) return p;
  ADD_FAILURE() << "no parameter " << name;
  return net.named_params().front();
}

TEST(StackedTrain, EveryPhaseLowersItsLossAndWeightsFlow) {
  auto spec = parse_kind(kConfig);
  auto built = build_kind(*spec, 32);
  auto& t = dynamic_cast<StackedTrainer&>(*built->trainer);
  const Batch b = separable_batch(32, 4, 11);
  const std::vector<Phase*> phases = t.phases();
  ASSERT_EQ(phases.size(), 4u);

  uint64_t step = 0;
  for (int k = 0; k < 2; ++k) {
    phases[k]->begin(true);
    const auto [first, last] = train(*phases[k], b, 60, step);
    step += 60;
    EXPECT_LT(last, 0.7 * first) << phases[k]->name();
  }

  // finetune starts from the pretrained stages: the stack's enc/dec tensors are the stages'.
  EXPECT_FALSE(same_values(param(t.stack(), "enc1.dense.weight").value,
                           param(t.stage(0), "enc1.dense.weight").value));
  phases[2]->begin(true);
  for (const char* name : {"enc1.dense.weight", "enc1.dense.bias", "dec1.dense.weight"})
    EXPECT_TRUE(same_values(param(t.stack(), name).value, param(t.stage(0), name).value)) << name;
  for (const char* name : {"enc2.dense.weight", "dec2.dense.bias"})
    EXPECT_TRUE(same_values(param(t.stack(), name).value, param(t.stage(1), name).value)) << name;
  // A resumed run's begin(false) must not overwrite what the checkpoint restored.
  param(t.stack(), "enc1.dense.bias").value.fill(0.25f);
  phases[2]->begin(false);
  EXPECT_EQ(param(t.stack(), "enc1.dense.bias").value[0], 0.25f);
  phases[2]->begin(true);
  const auto [f0, f1] = train(*phases[2], b, 60, step);
  step += 60;
  EXPECT_LT(f1, f0) << "finetune";

  // The encoder role holds the fine-tuned weights.
  Sequential* enc = t.network("encoder");
  ASSERT_NE(enc, nullptr);
  EXPECT_TRUE(same_values(param(*enc, "enc2.dense.weight").value,
                          param(t.stack(), "enc2.dense.weight").value));

  // supervised: accuracy on the separable set rises from chance.
  Phase& sup = *phases[3];
  sup.begin(true);
  EXPECT_TRUE(same_values(param(*t.classifier(), "enc1.dense.weight").value,
                          param(t.stack(), "enc1.dense.weight").value));
  const Metrics m0 = sup.step(b, position(step++, b.size)).read();
  Metrics m;
  for (int s = 0; s < 80; ++s) m = sup.step(b, position(step++, b.size)).read();
  EXPECT_LT(metric(m, "loss"), metric(m0, "loss"));
  EXPECT_GE(metric(m, "accuracy"), 0.95);
  EXPECT_GT(metric(m, "accuracy"), metric(m0, "accuracy"));
}

TEST(StackedTrain, StateHoldsEveryNetwork) {
  auto spec = parse_kind(kConfig);
  auto built = build_kind(*spec, 32);
  StateRegistry state;
  built->trainer->register_state(state);
  std::set<std::string> groups;
  for (const StateItem& it : state.items()) groups.insert(it.group);
  for (const char* g : {"net/stage_1", "net/stage_2", "net/autoencoder", "net/classifier"})
    EXPECT_TRUE(groups.count(g)) << g;
}

TEST(StackedTrain, ConvStagesTrain) {
  const std::string yaml = R"(
model:
  input_shape: [1, 8, 8]
  upsampling: transposed
  encoder:
    - {type: conv2d, filters: 4, kernel: 3, padding: same, pool: 2}
    - {type: dense, units: 8, activation: linear}
optimizer: {kind: adam, lr: 0.01}
trainer: {kind: stacked_autoencoder, batch_size: 16, finetune: {epochs: 1},
          pretrain: {sparsity: {kind: l1, weight: 0.001}}}
)";
  auto spec = parse_kind(yaml);
  auto built = build_kind(*spec, 16);
  const Batch b = separable_batch(16, 4, 5);
  uint64_t step = 0;
  for (Phase* p : built->trainer->phases()) {
    p->begin(true);
    const auto [first, last] = train(*p, b, 40, step);
    step += 40;
    EXPECT_LT(last, first) << p->name();
  }
}

}  // namespace
}  // namespace strata
