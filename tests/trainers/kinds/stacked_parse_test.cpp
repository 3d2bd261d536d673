// The stacked_autoencoder kind's config: strict errors that name the key, mirrored shapes, the
// phases a built trainer has.
#include <gtest/gtest.h>

#include "tests/trainers/kinds/kinds_test_util.h"
#include "trainers/kinds/mirror.h"
#include "trainers/kinds/stacked_autoencoder.h"

namespace strata {
namespace {

using test::build_kind;
using test::parse_error;
using test::parse_kind;

const char* const kDense = R"(
model:
  input_shape: [1, 8, 8]
  encoder:
    - {type: dense, units: 16, activation: relu}
    - {type: dense, units: 8, activation: sigmoid}
    - {type: dense, units: 4, activation: linear}
optimizer: {kind: adam, lr: 0.01}
trainer:
  kind: stacked_autoencoder
  batch_size: 16
  pretrain: {epochs: 2, corruption: {kind: mask, p: 0.1}, sparsity: {kind: kl, target: 0.1, weight: 0.01}}
  finetune: {epochs: 3}
  supervised: {epochs: 2, classes: 2}
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(StackedParse, PhasesAndNames) {
  auto spec = parse_kind(kDense);
  EXPECT_EQ(spec->kind(), "stacked_autoencoder");
  auto built = build_kind(*spec);
  const std::vector<Phase*> phases = built->trainer->phases();
  ASSERT_EQ(phases.size(), 3u + 2u);
  const std::vector<std::string> names = {"pretrain_1", "pretrain_2", "pretrain_3", "finetune",
                                          "supervised"};
  for (size_t i = 0; i < phases.size(); ++i) EXPECT_EQ(phases[i]->name(), names[i]);
  EXPECT_EQ(phases[0]->epochs(), 2);
  EXPECT_EQ(phases[3]->epochs(), 3);
  EXPECT_TRUE(phases[4]->needs_labels());
  EXPECT_FALSE(phases[0]->needs_labels());

  auto no_sup = parse_kind(with(kDense, "  supervised: {epochs: 2, classes: 2}\n", ""));
  EXPECT_EQ(build_kind(*no_sup)->trainer->phases().size(), 4u);
}

TEST(StackedParse, StageOutputsMirrorInputs) {
  auto spec = parse_kind(kDense);
  auto built = build_kind(*spec);
  auto& t = dynamic_cast<StackedTrainer&>(*built->trainer);
  const std::vector<Shape> inputs = {Shape{1, 8, 8}, Shape{16}, Shape{8}};
  for (int k = 0; k < t.num_stages(); ++k) {
    EXPECT_EQ(t.stage(k).input_sample_shape(), inputs[k]) << k;
    EXPECT_EQ(t.stage(k).output_sample_shape(), inputs[k]) << k;
  }
  EXPECT_EQ(t.stack().output_sample_shape(), (Shape{1, 8, 8}));
  EXPECT_EQ(t.network("encoder")->output_sample_shape(), Shape{4});
  EXPECT_EQ(t.network("classifier")->output_sample_shape(), Shape{2});
  // Stage 2 reconstructs block 1's relu code, so its decoder ends with a relu.
  Sequential& s2 = t.stage(1);
  EXPECT_STREQ(s2.layer(s2.num_layers() - 1).kind(), "relu");
  Sequential& s1 = t.stage(0);
  EXPECT_STREQ(s1.layer(s1.num_layers() - 1).kind(), "reshape");
  EXPECT_STREQ(s1.layer(s1.num_layers() - 2).kind(), "sigmoid");
}

TEST(StackedParse, ConvMirrorsBothWays) {
  for (const char* up : {"upsample", "transposed"}) {
    for (const char* pad : {"same", "valid"}) {
      const std::string yaml = std::string(R"(
model:
  input_shape: [1, 10, 10]
  upsampling: )") + up + R"(
  encoder:
    - {type: conv2d, filters: 4, kernel: 3, padding: )" +
                               pad + R"(, pool: 2}
    - {type: conv2d, filters: 6, kernel: 1, padding: same, pool: 1}
    - {type: dense, units: 5, activation: linear}
optimizer: {kind: sgd, lr: 0.01}
trainer: {kind: stacked_autoencoder, batch_size: 4, finetune: {epochs: 1}}
)";
      if (std::string(pad) == "same") {
        // 10 -> pool 2 -> 5 divides; valid: 10 - 2 = 8 -> 4 divides too.
      }
      auto spec = parse_kind(yaml);
      auto built = build_kind(*spec, 4);
      auto& t = dynamic_cast<StackedTrainer&>(*built->trainer);
      for (int k = 0; k < t.num_stages(); ++k)
        EXPECT_EQ(t.stage(k).output_sample_shape(), t.stage(k).input_sample_shape())
            << up << " " << pad << " stage " << k;
      EXPECT_EQ(t.stack().output_sample_shape(), (Shape{1, 10, 10})) << up << " " << pad;
    }
  }
}

TEST(StackedParse, ErrorsNameTheKey) {
  std::string e = parse_error(with(kDense, "pretrain: {epochs: 2,", "pretrain: {epochz: 2,"));
  EXPECT_NE(e.find("kind.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("epochz"), std::string::npos) << e;
  EXPECT_NE(e.find("trainer.pretrain"), std::string::npos) << e;

  // 9x9 after a same conv does not divide by pool 2: the decoder could not mirror it.
  e = parse_error(R"(
model:
  input_shape: [1, 9, 9]
  encoder: [{type: conv2d, filters: 4, kernel: 3, padding: same, pool: 2}]
optimizer: {kind: sgd, lr: 0.01}
trainer: {kind: stacked_autoencoder, batch_size: 4, finetune: {epochs: 1}}
)");
  EXPECT_NE(e.find("model.encoder[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("not divisible by pool 2"), std::string::npos) << e;

  // conv after dense.
  e = parse_error(with(kDense, "- {type: dense, units: 8, activation: sigmoid}",
                       "- {type: conv2d, filters: 8}"));
  EXPECT_NE(e.find("model.encoder[1]"), std::string::npos) << e;

  // One stage entry per block.
  e = parse_error(with(kDense, "pretrain: {epochs: 2,", "pretrain: {stages: [{epochs: 1}],"));
  EXPECT_NE(e.find("trainer.pretrain.stages"), std::string::npos) << e;
  EXPECT_NE(e.find("one entry per encoder block (3)"), std::string::npos) << e;

  // Sparsity of a stacked stage is on its code: no layer key.
  e = parse_error(with(kDense, "weight: 0.01}", "weight: 0.01, layer: 1}"));
  EXPECT_NE(e.find("layer"), std::string::npos) << e;
  EXPECT_NE(e.find("trainer.pretrain.sparsity"), std::string::npos) << e;

  e = parse_error(with(kDense, "  finetune: {epochs: 3}\n", ""));
  EXPECT_NE(e.find("finetune"), std::string::npos) << e;
}

const char* const kPlain = R"(
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: flatten}
    - {type: dense, units: 6, name: code}
    - {type: sigmoid}
    - {type: dense, units: 64}
    - {type: reshape, shape: [1, 8, 8]}
optimizer: {kind: adam, lr: 0.01}
trainer:
  kind: autoencoder
  batch_size: 16
  epochs: 2
  sparsity: {kind: kl, target: 0.1, weight: 0.1, layer: 2}
)";

TEST(AutoencoderParse, SparsityLayer) {
  auto spec = parse_kind(kPlain);
  EXPECT_EQ(spec->kind(), "autoencoder");
  EXPECT_EQ(build_kind(*spec)->trainer->phases().at(0)->name(), "train");
  EXPECT_EQ(parse_error(with(kPlain, "layer: 2}", "layer: code}")), "");
  std::string e = parse_error(with(kPlain, "layer: 2}", "layer: 7}"));
  EXPECT_NE(e.find("trainer.sparsity.layer"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  e = parse_error(with(kPlain, "layer: 2}", "layer: codes}"));
  EXPECT_NE(e.find("no layer named 'codes'"), std::string::npos) << e;
  e = parse_error(with(kPlain, "layer: 2}", "layer: 2, rate: 1}"));
  EXPECT_NE(e.find("rate"), std::string::npos) << e;
  e = parse_error(with(kPlain, "epochs: 2", "corruption: {kind: gaussian, p: 0.1}"));
  EXPECT_NE(e.find("trainer.corruption"), std::string::npos) << e;
}

TEST(ClassifierParse, LastLayerIsDense) {
  const std::string ok = R"(
model:
  input_shape: [1, 8, 8]
  layers: [{type: flatten}, {type: dense, units: 12}, {type: relu}, {type: dense, units: 3}]
optimizer: {kind: adam, lr: 0.01}
trainer: {kind: classifier, batch_size: 8, epochs: 1}
)";
  auto spec = parse_kind(ok);
  auto built = build_kind(*spec);
  Sequential* f = built->trainer->network("features");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f, built->trainer->network("classifier"));
  const std::string e =
      parse_error(with(ok, "{type: dense, units: 3}]", "{type: dense, units: 3}, {type: relu}]"));
  EXPECT_NE(e.find("last layer must be a dense"), std::string::npos) << e;
}

}  // namespace
}  // namespace strata
