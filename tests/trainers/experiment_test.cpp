// Experiment files: --set overrides, the resolved config (defaults filled in), strict errors
// raised before any work, and the shared sections (checkpoint, logging, schedule).
#include "trainers/experiment.h"

#include <gtest/gtest.h>

#include "tests/core/config/config_test_util.h"
#include "trainers/schedule.h"

namespace strata {
namespace {

using testing::error_of;
using testing::expect_contains;

const char* kAutoencoder = R"(seed: 3
data: {train: shards/train}
trainer:
  kind: autoencoder
  batch_size: 16
  epochs: 2
optimizer: {kind: adam, lr: 0.01}
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: flatten}
    - {type: dense, units: 16}
    - {type: relu}
    - {type: dense, units: 64}
    - {type: sigmoid}
)";

TEST(Experiment, ParsesTheSharedSectionsWithDefaults) {
  const Experiment e = parse_experiment(kAutoencoder, "ae.yaml");
  EXPECT_EQ(e.seed, 3u);
  EXPECT_EQ(e.batch_size, 16);
  EXPECT_EQ(e.trainer->kind(), "autoencoder");
  EXPECT_EQ(e.distributed.backend, "auto");
  EXPECT_EQ(e.checkpoint.keep, 3);
  EXPECT_EQ(e.logging.every_steps, 50);
  EXPECT_EQ(e.data.scale, PixelScale::kUnit);
  EXPECT_FALSE(e.scale_given);
}

TEST(Experiment, ResolvedConfigShowsDefaultsAndParsesBackToTheSame) {
  const Experiment e = parse_experiment(kAutoencoder, "ae.yaml");
  expect_contains(e.resolved_yaml, {"prefetch: 2", "scale: unit", "kind: autoencoder"});
  const Experiment again = parse_experiment(e.resolved_yaml, "config.yaml");
  EXPECT_EQ(again.resolved_yaml, e.resolved_yaml);
}

TEST(Experiment, SetOverridesKeysListsAndAddsSections) {
  const Experiment e = parse_experiment(
      kAutoencoder, "ae.yaml",
      {parse_override("trainer.batch_size=32"), parse_override("model.layers.1.units=8"),
       parse_override("distributed.timeout_s=5"), parse_override("seed=9")});
  EXPECT_EQ(e.batch_size, 32);
  EXPECT_EQ(e.seed, 9u);
  EXPECT_EQ(e.distributed.timeout_s, 5.0);
  expect_contains(e.resolved_yaml, {"units: 8", "timeout_s: 5"});
}

TEST(Experiment, BadOverridesAndKeysAreErrorsThatNameThem) {
  expect_contains(error_of([] { parse_override("trainer.epochs"); }), {"key.path=value"});
  expect_contains(error_of([] {
                    parse_experiment(kAutoencoder, "ae.yaml", {parse_override("trainer.epoch=3")});
                  }),
                  {"trainer.epoch", "unknown key", "did you mean 'epochs'"});
  expect_contains(error_of([] {
                    parse_experiment(kAutoencoder, "ae.yaml",
                                     {parse_override("model.layers.9.units=3")});
                  }),
                  {"--set model.layers.9.units", "not an index"});
  expect_contains(error_of([] {
                    parse_experiment(std::string(kAutoencoder) + "checkpont: {keep: 2}\n",
                                     "ae.yaml");
                  }),
                  {"ae.yaml:", "checkpont", "did you mean 'checkpoint'"});
  expect_contains(error_of([] {
                    parse_experiment(std::string(kAutoencoder) + "logging: {every_steps: 0}\n",
                                     "ae.yaml");
                  }),
                  {"ae.yaml:", "logging.every_steps"});
  expect_contains(error_of([] {
                    std::string text = kAutoencoder;
                    text.replace(text.find("kind: autoencoder"), 17, "kind: autoencoderz");
                    parse_experiment(text, "ae.yaml");
                  }),
                  {"ae.yaml:", "trainer.kind", "autoencoder"});
}

TEST(Experiment, PrecisionKeyIsFp32UnlessSetAndStrict) {
  EXPECT_EQ(parse_experiment(kAutoencoder, "ae.yaml").precision, Precision::kFp32);
  EXPECT_EQ(parse_experiment(std::string(kAutoencoder) + "precision: bf16\n", "ae.yaml").precision,
            Precision::kBf16);
  const Experiment tf32 =
      parse_experiment(kAutoencoder, "ae.yaml", {parse_override("precision=tf32")});
  EXPECT_EQ(tf32.precision, Precision::kTf32);
  EXPECT_EQ(parse_experiment(tf32.resolved_yaml, "config.yaml").precision, Precision::kTf32);
  expect_contains(error_of([] {
                    parse_experiment(std::string(kAutoencoder) + "precision: bf61\n", "ae.yaml");
                  }),
                  {"ae.yaml:", "precision", "fp32", "tf32", "bf16"});
  expect_contains(
      error_of([] { parse_experiment(std::string(kAutoencoder) + "precison: bf16\n", "ae.yaml"); }),
      {"precison", "did you mean 'precision'"});
}

TEST(Schedule, FactorsOfEachKind) {
  ScheduleConfig c;
  EXPECT_EQ(schedule_factor(c, 5, 100, 10), 1.0);
  c.kind = ScheduleConfig::Kind::kCosine;
  EXPECT_DOUBLE_EQ(schedule_factor(c, 0, 101, 10), 1.0);
  EXPECT_NEAR(schedule_factor(c, 50, 101, 10), 0.5, 1e-12);
  EXPECT_NEAR(schedule_factor(c, 100, 101, 10), 0.0, 1e-12);
  c.kind = ScheduleConfig::Kind::kStep;
  c.every_epochs = 2;
  c.gamma = 0.5;
  EXPECT_EQ(schedule_factor(c, 19, 100, 10), 1.0);  // epoch 1
  EXPECT_EQ(schedule_factor(c, 20, 100, 10), 0.5);  // epoch 2
  EXPECT_EQ(schedule_factor(c, 45, 100, 10), 0.25);
  c.kind = ScheduleConfig::Kind::kConstant;
  c.warmup_steps = 4;
  EXPECT_EQ(schedule_factor(c, 0, 100, 10), 0.25);
  EXPECT_EQ(schedule_factor(c, 3, 100, 10), 1.0);
}

TEST(Schedule, ParsedStrictly) {
  const Experiment e = parse_experiment(
      std::string(kAutoencoder) + "schedule: {kind: step, every_epochs: 3, gamma: 0.5}\n",
      "ae.yaml");
  EXPECT_EQ(e.schedule.kind, ScheduleConfig::Kind::kStep);
  EXPECT_EQ(e.schedule.every_epochs, 3);
  expect_contains(error_of([] {
                    parse_experiment(std::string(kAutoencoder) + "schedule: {kind: step}\n",
                                     "ae.yaml");
                  }),
                  {"every_epochs"});
}

}  // namespace
}  // namespace strata
