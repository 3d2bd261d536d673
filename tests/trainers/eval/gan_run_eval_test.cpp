// End to end on one process: the smoke GAN (configs/smoke/gan.yaml) and a tiny classifier are
// trained by the shared loop on synthetic 8x8 data, then brought back from their checkpoints the
// way `strata sample` and `strata eval` do (trainers/eval/load_run.h), and scored.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/data/convert.h"
#include "distributed/local_communicator.h"
#include "tests/support/temp_dir.h"
#include "trainers/eval/features.h"
#include "trainers/eval/frechet.h"
#include "trainers/eval/load_run.h"
#include "trainers/experiment.h"
#include "trainers/gan_step.h"
#include "trainers/kinds/gan.h"
#include "trainers/loop.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

class GanRunEval : public ::testing::Test {
 protected:
  void SetUp() override {
    ConvertOptions o;
    o.out_dir = (dir_ / "data").string();
    convert_synthetic(256, 1, 8, 8, 3, 4, o);
  }

  // Trains the experiment file `config` into run folder `name`; returns the folder.
  std::string train(const std::string& config, const std::string& name,
                    std::vector<Override> overrides = {}) {
    const std::string data = (dir_ / "data").string();
    overrides.push_back({"data.train", data});
    overrides.push_back({"data.test", data});
    const Experiment e = load_experiment(config, overrides);
    LocalCommunicator comm;
    RunOptions ro;
    ro.run_dir = (dir_ / name).string();
    ro.comm = &comm;
    ro.quiet = true;
    run_experiment(e, ro);
    return ro.run_dir;
  }

  testing::TempDir tmp_{"strata_gan_eval"};
  const fs::path& dir_ = tmp_.root();
};

TEST_F(GanRunEval, SmokeGanTrainsSamplesAndScores) {
  const std::string gan_dir =
      train(std::string(STRATA_SOURCE_DIR) + "/configs/smoke/gan.yaml", "gan");
  EXPECT_TRUE(fs::exists(fs::path(gan_dir) / "metrics.jsonl"));
  bool png = false;
  for (const auto& f : fs::directory_iterator(fs::path(gan_dir) / "samples"))
    png = png || f.path().extension() == ".png";
  EXPECT_TRUE(png);

  const std::unique_ptr<LoadedRun> gan = load_run(gan_dir, (dir_ / "data").string());
  EXPECT_EQ(gan->kind(), "gan");
  EXPECT_EQ(gan->scale(), PixelScale::kSymmetric);
  Sequential& g = gan->network("generator");
  const Tensor a = generate_images(g, gan->meta.seed, kLatentSampleGrid, 0, 16);
  const Tensor b = generate_images(g, gan->meta.seed, kLatentSampleGrid, 0, 16);
  EXPECT_EQ(a.shape(), (Shape{16, 1, 8, 8}));
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a[i], b[i]);

  // A tiny classifier on the same data (4 synthetic classes), for the features.
  const std::string clf_yaml = (dir_ / "clf.yaml").string();
  {
    std::ofstream f(clf_yaml);
    f << "seed: 2\n"
         "data: {train: x, scale: unit}\n"
         "trainer: {kind: classifier, batch_size: 32, epochs: 1}\n"
         "optimizer: {kind: adam, lr: 0.01}\n"
         "model:\n"
         "  input_shape: [1, 8, 8]\n"
         "  layers: [{type: flatten}, {type: dense, units: 16}, {type: relu},\n"
         "           {type: dense, units: 4}]\n";
  }
  const std::string clf_dir = train(clf_yaml, "clf");
  const std::unique_ptr<LoadedRun> clf = load_run(clf_dir, (dir_ / "data").string());
  Sequential& net = clf->network("classifier");
  EXPECT_EQ(feature_dim(net), 16);
  const EvalResult acc = accuracy(net, *clf->data, clf->scale(), 0, 64);
  EXPECT_EQ(acc.count, 256);
  EXPECT_GE(acc.value, 0.0);

  FeatureStats real(16), real2(16), fake(16);
  for_each_batch(*gan->data, clf->scale(), 128, 50,
                 [&](const Tensor& x, const Tensor&) { add_features(net, x, real); });
  for_each_batch(*gan->data, clf->scale(), 128, 128,
                 [&](const Tensor& x, const Tensor&) { add_features(net, x, real2); });
  EXPECT_EQ(real.count(), 128);
  EXPECT_NEAR(frechet_distance(real, real2), 0.0, 1e-6);
  Tensor images = generate_images(g, gan->meta.seed, kLatentEval, 0, 128);
  rescale(images, gan->scale(), clf->scale());
  add_features(net, images, fake);
  const double fd = frechet_distance(real, fake);
  EXPECT_TRUE(std::isfinite(fd));
  EXPECT_GT(fd, 0.0);
}

}  // namespace
}  // namespace strata
