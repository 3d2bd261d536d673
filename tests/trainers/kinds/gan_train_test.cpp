// The `gan` kind at run time on one process: steps, d_steps, label smoothing, the fixed-z grid,
// the checkpointed state and the network roles.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "tests/support/temp_dir.h"
#include "tests/trainers/kinds/gan_test_util.h"
#include "trainers/state.h"

namespace strata {
namespace {

using gan_test::copy_of;
using gan_test::experiment_yaml;
using gan_test::max_abs_diff;
using gan_test::parse;
using gan_test::random_batch;

BatchPosition position(uint64_t step, int64_t n) {
  return BatchPosition{step, static_cast<int64_t>(step) * n, n};
}

TEST(GanTrainer, StepsKeepLossesFiniteAndMoveBothNetworks) {
  auto b = gan_test::build(parse(experiment_yaml("  init: dcgan\n")));
  GanTrainer& t = *b->trainer;
  ASSERT_EQ(t.phases().size(), 1u);
  Phase& phase = *t.phases()[0];
  EXPECT_EQ(phase.name(), "gan");
  EXPECT_EQ(phase.optimizers().size(), 2u);
  const Tensor g0 = copy_of(t.generator().params()), d0 = copy_of(t.discriminator().params());
  for (uint64_t s = 0; s < 5; ++s) {
    const Metrics m = phase.step(random_batch(8, s), position(s, 8)).read();
    std::map<std::string, double> v(m.begin(), m.end());
    ASSERT_EQ(m.size(), 4u);
    for (const char* key : {"d_loss", "g_loss", "d_real", "d_fake"}) {
      ASSERT_TRUE(v.count(key)) << key;
      EXPECT_TRUE(std::isfinite(v[key])) << key;
    }
    EXPECT_GT(v["d_real"], 0.0);
    EXPECT_LT(v["d_real"], 1.0);
    EXPECT_GT(v["d_fake"], 0.0);
    EXPECT_LT(v["d_fake"], 1.0);
  }
  EXPECT_GT(max_abs_diff(g0, t.generator().params()), 0.0);
  EXPECT_GT(max_abs_diff(d0, t.discriminator().params()), 0.0);
  EXPECT_EQ(t.opt_g().steps(), 5);
  EXPECT_EQ(t.opt_d().steps(), 5);
}

TEST(GanTrainer, DStepsLeaveTheGeneratorUnchanged) {
  auto b = gan_test::build(parse(experiment_yaml("  d_steps: 2\n")));
  GanTrainer& t = *b->trainer;
  const Batch batch = random_batch(8, 1);
  const Tensor g0 = copy_of(t.generator().params());
  const Tensor d0 = copy_of(t.discriminator().params());
  GanStep& s = t.gan_step();
  s.d_step(batch.images, position(0, 8), 0);
  const Tensor d1 = copy_of(t.discriminator().params());
  const Tensor z0 = copy_of(s.latent());
  s.d_step(batch.images, position(0, 8), 1);
  EXPECT_EQ(max_abs_diff(g0, t.generator().params()), 0.0);
  EXPECT_GT(max_abs_diff(d0, d1), 0.0);
  EXPECT_GT(max_abs_diff(d1, t.discriminator().params()), 0.0);
  EXPECT_GT(max_abs_diff(z0, s.latent()), 0.0);  // each D step draws its own z
  s.g_step();
  EXPECT_GT(max_abs_diff(g0, t.generator().params()), 0.0);

  // Through the phase: two D updates per G update.
  auto c = gan_test::build(parse(experiment_yaml("  d_steps: 2\n")));
  c->trainer->phase().step(batch, position(0, 8));
  EXPECT_EQ(c->trainer->opt_d().steps(), 2);
  EXPECT_EQ(c->trainer->opt_g().steps(), 1);
}

// The logit layer's bias gradient is the sum of the loss gradients over the logits. With one
// rank, n samples and real target 1 - s, the real half's gradient is (sigmoid - (1 - s)) / n per
// sample, so smoothing adds exactly +s to that bias's gradient and nothing else changes in it.
TEST(GanTrainer, LabelSmoothingChangesTheDiscriminatorsRealTarget) {
  const Batch batch = random_batch(8, 2);
  auto plain = gan_test::build(parse(experiment_yaml()));
  auto smooth = gan_test::build(parse(experiment_yaml("  label_smoothing: 0.2\n")));
  ASSERT_EQ(max_abs_diff(plain->trainer->discriminator().params(),
                         smooth->trainer->discriminator().params()),
            0.0);
  EXPECT_FLOAT_EQ(smooth->trainer->gan_step().label_smoothing(), 0.2f);
  plain->trainer->gan_step().d_step(batch.images, position(0, 8));
  smooth->trainer->gan_step().d_step(batch.images, position(0, 8));
  Sequential& dp = plain->trainer->discriminator();
  Sequential& ds = smooth->trainer->discriminator();
  EXPECT_GT(max_abs_diff(dp.grads(), ds.grads()), 0.0);
  for (size_t i = 0; i < dp.named_params().size(); ++i) {
    const NamedParam& p = dp.named_params()[i];
    if (p.name != "logit.bias") continue;
    EXPECT_NEAR(ds.named_params()[i].grad[0] - p.grad[0], 0.2f, 1e-5f);
  }
  // The real target is smoothed, the fake one is not: D's output on real data is what changed.
  EXPECT_EQ(plain->trainer->gan_step().last_d_real(), smooth->trainer->gan_step().last_d_real());
}

TEST(GanTrainer, FixedSampleGridIsTheSameAtEveryCall) {
  auto b = gan_test::build(parse(experiment_yaml("  samples: {count: 12, columns: 4}\n")));
  GanTrainer& t = *b->trainer;
  const Tensor a = t.sample_grid_images();
  EXPECT_EQ(a.shape(), (Shape{12, 1, 8, 8}));
  t.phase().step(random_batch(8, 3), position(0, 8));  // a step in between must not matter...
  auto fresh = gan_test::build(parse(experiment_yaml("  samples: {count: 12, columns: 4}\n")));
  const Tensor c = fresh->trainer->sample_grid_images();
  EXPECT_EQ(max_abs_diff(a, c), 0.0);  // ... to the z: same seed, same images before training
  const Tensor d = t.sample_grid_images();
  const Tensor e = t.sample_grid_images();
  EXPECT_EQ(max_abs_diff(d, e), 0.0);
  // Batching does not change a sample (eval mode), up to the GEMM's rounding.
  const Tensor parts = generate_images(t.generator(), t.seed(), kLatentSampleGrid, 0, 12, 5);
  EXPECT_LT(max_abs_diff(d, parts), 1e-5);
  for (int64_t i = 0; i < d.numel(); ++i) {
    EXPECT_GE(d[i], -1.0f);
    EXPECT_LE(d[i], 1.0f);
  }
}

TEST(GanTrainer, WritesTheSampleGridAsPng) {
  auto b = gan_test::build(parse(experiment_yaml("  samples: {count: 4, columns: 2}\n")));
  const testing::TempDir dir("strata_gan_samples");
  b->trainer->phases()[0]->write_samples(dir.path(""), "gan_step-000000");
  EXPECT_TRUE(std::filesystem::exists(dir.root() / "gan_step-000000.png"));
}

TEST(GanTrainer, RegistersBothNetworksAndOptimizersAndNamesRoles) {
  auto b = gan_test::build(parse(experiment_yaml()));
  GanTrainer& t = *b->trainer;
  EXPECT_EQ(t.network("generator"), &t.generator());
  EXPECT_EQ(t.network("discriminator"), &t.discriminator());
  EXPECT_EQ(t.network("autoencoder"), nullptr);
  StateRegistry state;
  t.register_state(state);
  std::map<std::string, int> groups;
  for (const StateItem& item : state.items()) ++groups[item.group];
  EXPECT_TRUE(groups.count("net/generator"));
  EXPECT_TRUE(groups.count("net/discriminator"));
  EXPECT_TRUE(groups.count("opt/generator"));
  EXPECT_TRUE(groups.count("opt/discriminator"));
}

TEST(GanTrainer, BuildChecksTheDataShape) {
  const GanSpec spec(parse(experiment_yaml()));
  LocalCommunicator comm;
  DatasetInfo info;
  info.channels = 1;
  info.height = 28;
  info.width = 28;
  const TrainerContext ctx{.comm = comm,
                           .seed = 1,
                           .batch_size = 8,
                           .train = &info,
                           .test = nullptr,
                           .data = nullptr,
                           .parallel = ParallelOptions{}};
  try {
    spec.build(ctx);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("[1, 28, 28]"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[1, 8, 8]"), std::string::npos) << e.message();
  }
  info.height = info.width = 8;
  EXPECT_NE(spec.build(ctx), nullptr);
}

}  // namespace
}  // namespace strata
