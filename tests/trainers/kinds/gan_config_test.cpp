// The `gan` kind's configuration: shape checks, strict keys, defaults and the DCGAN
// initialisation's statistics.
#include <gtest/gtest.h>

#include <cmath>

#include "core/config/model_yaml.h"
#include "core/error.h"
#include "tests/trainers/kinds/gan_test_util.h"
#include "trainers/experiment.h"

namespace strata {
namespace {

using gan_test::experiment_yaml;
using gan_test::parse;

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(GanConfig, DefaultsAndKeys) {
  const GanConfig c = parse(experiment_yaml(
      "  d_steps: 2\n  label_smoothing: 0.1\n  init: dcgan\n  samples: {count: 16, columns: 4}\n"));
  EXPECT_EQ(c.epochs, 1);
  EXPECT_EQ(c.d_steps, 2);
  EXPECT_FLOAT_EQ(c.label_smoothing, 0.1f);
  EXPECT_EQ(c.init, GanInit::kDcgan);
  EXPECT_EQ(c.sample_count, 16);
  EXPECT_EQ(c.sample_columns, 4);
  EXPECT_EQ(c.latent, (Shape{8}));

  const GanConfig d = parse(experiment_yaml("  latent: 8\n"));
  EXPECT_EQ(d.d_steps, 1);
  EXPECT_EQ(d.label_smoothing, 0.0f);
  EXPECT_EQ(d.init, GanInit::kDefault);
  EXPECT_EQ(d.sample_count, 64);
  EXPECT_EQ(d.sample_columns, 8);
}

TEST(GanConfig, SpecIsSymmetricWithTheDiscriminatorsInput) {
  const YamlMap root = YamlMap::parse(experiment_yaml(), "gan_test.yaml");
  const YamlMap trainer = root.get_map("trainer");
  trainer.get_string("kind");
  trainer.get_int("batch_size");
  const std::unique_ptr<TrainerSpec> spec = parse_gan_trainer(root, trainer);
  EXPECT_EQ(spec->kind(), "gan");
  EXPECT_EQ(spec->default_scale(), PixelScale::kSymmetric);
  EXPECT_EQ(spec->input_shape(), (Shape{1, 8, 8}));
}

TEST(GanConfig, GeneratorOutputMustBeDiscriminatorInputNamingBothShapes) {
  const std::string m = error_of(experiment_yaml("", "[1, 16, 16]"));
  EXPECT_NE(m.find("[1, 8, 8]"), std::string::npos) << m;
  EXPECT_NE(m.find("[1, 16, 16]"), std::string::npos) << m;
  EXPECT_NE(m.find("generator"), std::string::npos) << m;
  EXPECT_NE(m.find("gan_test.yaml:"), std::string::npos) << m;
}

TEST(GanConfig, UnknownTrainerKeyIsAnError) {
  const std::string m = error_of(experiment_yaml("  d_step: 2\n"));
  EXPECT_NE(m.find("d_step"), std::string::npos) << m;
  EXPECT_NE(m.find("d_steps"), std::string::npos) << m;  // the suggestion
}

TEST(GanConfig, LatentMustMatchTheGenerator) {
  const std::string m = error_of(experiment_yaml("  latent_shape: [8, 1, 1]\n"));
  EXPECT_NE(m.find("[8, 1, 1]"), std::string::npos) << m;
  EXPECT_NE(m.find("[8]"), std::string::npos) << m;
  EXPECT_NE(error_of(experiment_yaml("  latent: 8\n  latent_shape: [8]\n")), "");
}

TEST(GanConfig, BadValuesAreErrors) {
  EXPECT_NE(error_of(experiment_yaml("  label_smoothing: 1.0\n")), "");
  EXPECT_NE(error_of(experiment_yaml("  d_steps: 0\n")), "");
  EXPECT_NE(error_of(experiment_yaml("  init: xavier\n")), "");
  EXPECT_NE(error_of(experiment_yaml("  samples: {count: 4, colums: 2}\n")), "");
  // optimizer and optimizers together
  EXPECT_NE(error_of(experiment_yaml() + "optimizers: {generator: {kind: sgd, lr: 0.1}, "
                                         "discriminator: {kind: sgd, lr: 0.1}}\n"),
            "");
}

TEST(GanConfig, SeparateOptimizers) {
  std::string yaml = experiment_yaml();
  yaml = yaml.substr(0, yaml.find("optimizer:")) +
         "optimizers: {generator: {kind: adam, lr: 0.0002, beta1: 0.5}, discriminator: "
         "{kind: sgd, lr: 0.01}}\n";
  const GanConfig c = parse(yaml);
  EXPECT_STREQ(c.make_opt_g()->kind(), "adam");
  EXPECT_STREQ(c.make_opt_d()->kind(), "sgd");
  EXPECT_FLOAT_EQ(c.make_opt_g()->lr(), 0.0002f);
}

TEST(GanConfig, DcganInitStatistics) {
  const YamlMap model = YamlMap::parse(
      "model:\n"
      "  input_shape: [32, 8, 8]\n"
      "  layers:\n"
      "    - {type: conv2d, filters: 64, kernel: 4, stride: 2, padding: 1, name: conv}\n"
      "    - {type: batchnorm, name: bn}\n"
      "    - {type: flatten}\n"
      "    - {type: dense, units: 1, name: logit}\n",
      "dcgan_init_test.yaml");
  const ModelSpec spec = parse_model(model.get_map("model"));
  model.finish();
  Sequential net = spec.build(3);
  dcgan_init(net, 3);
  for (const NamedParam& p : net.named_params()) {
    double sum = 0, sq = 0;
    const int64_t n = p.value.numel();
    for (int64_t i = 0; i < n; ++i) {
      sum += p.value[i];
      sq += static_cast<double>(p.value[i]) * p.value[i];
    }
    const double mean = sum / n, std = std::sqrt(sq / n - mean * mean);
    if (p.name == "conv.weight") {  // 64 * 32 * 4 * 4 = 32768 values
      EXPECT_NEAR(mean, 0.0, 0.001) << p.name;
      EXPECT_NEAR(std, 0.02, 0.0005) << p.name;
    } else if (p.name == "bn.weight") {  // gamma ~ N(1, 0.02)
      EXPECT_NEAR(mean, 1.0, 0.01) << p.name;
      EXPECT_GT(std, 0.005) << p.name;
      EXPECT_LT(std, 0.04) << p.name;
    } else if (p.name.ends_with(".bias")) {
      EXPECT_EQ(sq, 0.0) << p.name;
    }
  }
  // Deterministic in the seed, and another seed gives other weights.
  Sequential again = spec.build(3);
  dcgan_init(again, 3);
  EXPECT_EQ(gan_test::max_abs_diff(net.params(), again.params()), 0.0);
  dcgan_init(again, 4);
  EXPECT_GT(gan_test::max_abs_diff(net.params(), again.params()), 0.0);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST(GanConfig, ShippedConfigsParse) {
  const std::string root = STRATA_SOURCE_DIR;
  const Experiment gan = load_experiment(root + "/configs/fashion_dcgan28.yaml");
  EXPECT_EQ(gan.trainer->kind(), "gan");
  EXPECT_EQ(gan.trainer->input_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(gan.batch_size, 256);
  const Experiment smoke = load_experiment(root + "/configs/smoke/gan.yaml");
  EXPECT_EQ(smoke.trainer->input_shape(), (Shape{1, 8, 8}));
  const Experiment clf = load_experiment(root + "/configs/fashion_fid_classifier.yaml");
  EXPECT_EQ(clf.trainer->kind(), "classifier");
  EXPECT_EQ(clf.data.scale, PixelScale::kSymmetric);
}

}  // namespace
}  // namespace strata
