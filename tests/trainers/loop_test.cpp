// The shared loop end to end on every smoke config (configs/smoke/*.yaml): each trainer kind
// runs in seconds and fills its run folder; a run stopped by a real SIGUSR1 (twice, at a third
// and at two thirds of its steps) and resumed each time ends bit-for-bit where an uninterrupted
// run ends.
#include "trainers/loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/data/convert.h"
#include "distributed/local_communicator.h"
#include "tests/core/config/config_test_util.h"
#include "tests/trainers/compare_runs.h"
#include "trainers/run/checkpoint.h"
#include "trainers/signals.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

// Labelled synthetic 1x8x8 images (4 classes), made once for the whole program.
const std::string& data_dir() {
  static const auto dir = std::make_unique<testing::TempDir>("strata_loop_data");  // until exit
  static const std::string path = [] {
    ConvertOptions o;
    o.out_dir = dir->path("train");
    o.shard_size = 40;
    convert_synthetic(96, 1, 8, 8, 5, 4, o);
    o.out_dir = dir->path("test");
    convert_synthetic(32, 1, 8, 8, 6, 4, o);
    return dir->path("");
  }();
  return path;
}

std::vector<std::string> smoke_configs() {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(fs::path(STRATA_SOURCE_DIR) / "configs" / "smoke"))
    if (f.path().extension() == ".yaml") out.push_back(f.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

Experiment load(const std::string& config) {
  return load_experiment(config, {parse_override("data.train=" + data_dir() + "train"),
                                  parse_override("data.test=" + data_dir() + "test")});
}

class SmokeConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(SmokeConfig, RunsAndResumesBitForBit) {
  const Experiment e = load(GetParam());
  testing::TempDir runs;
  RunOptions whole;
  whole.run_dir = runs.path("whole");
  whole.quiet = true;
  const RunResult a = run_experiment(e, whole);
  ASSERT_FALSE(a.stopped);
  ASSERT_GE(a.steps, 3) << "the smoke config should run a few steps";
  // The run folder.
  for (const char* f : {"config.yaml", "metrics.jsonl", "checkpoints/latest", "loss.png"})
    EXPECT_TRUE(fs::exists(fs::path(whole.run_dir) / f)) << f;
  // Pictures for every kind that makes images; test metrics for every kind that has them.
  if (e.trainer->kind() != "classifier") {
    EXPECT_FALSE(fs::is_empty(fs::path(whole.run_dir) / "samples")) << "no pictures";
  }
  if (e.trainer->kind() != "gan") {
    EXPECT_FALSE(a.last_evaluation.empty()) << "no test metrics";
  }

  // Stopped by SIGUSR1 at a third and at two thirds of the steps, resumed each time.
  RunOptions part;
  part.run_dir = runs.path("resumed");
  part.quiet = true;
  RunResult b;
  for (int64_t stop_at : {a.steps / 3, 2 * a.steps / 3, int64_t{-1}}) {
    clear_stop_request();
    part.after_step = [stop_at](int64_t step) {
      if (step == stop_at) std::raise(SIGUSR1);
    };
    b = run_experiment(e, part);
    part.resume = "auto";
    if (stop_at > 0) {
      ASSERT_TRUE(b.stopped) << "stop at " << stop_at;
      EXPECT_EQ(b.steps, stop_at);
    }
  }
  clear_stop_request();
  ASSERT_FALSE(b.stopped);
  EXPECT_EQ(b.steps, a.steps);
  const std::vector<float> want = testing::checkpoint_values(e, a.last_checkpoint);
  const std::vector<float> got = testing::checkpoint_values(e, b.last_checkpoint);
  ASSERT_EQ(got.size(), want.size());
  int64_t differ = 0;
  for (size_t i = 0; i < got.size(); ++i) differ += std::memcmp(&got[i], &want[i], 4) != 0;
  EXPECT_EQ(differ, 0) << "values that differ from the uninterrupted run, of " << got.size();
}

INSTANTIATE_TEST_SUITE_P(Configs, SmokeConfig, ::testing::ValuesIn(smoke_configs()),
                         [](const auto& info) { return fs::path(info.param).stem().string(); });

TEST(Loop, ResumeAutoOnAnEmptyFolderStartsANewRun) {
  const std::vector<std::string> configs = smoke_configs();
  ASSERT_FALSE(configs.empty());
  const Experiment e = load(configs.front());
  testing::TempDir runs;
  RunOptions o;
  o.run_dir = runs.path("r");
  o.resume = "auto";
  o.quiet = true;
  EXPECT_FALSE(run_experiment(e, o).stopped);
}

TEST(Loop, DataThatDoesNotFitTheModelIsAnErrorBeforeAnyWork) {
  const std::vector<std::string> configs = smoke_configs();
  ASSERT_FALSE(configs.empty());
  Experiment e = load(configs.front());
  testing::TempDir runs;
  ConvertOptions co;
  co.out_dir = runs.path("big");
  convert_synthetic(20, 1, 12, 12, 1, 2, co);
  e.data.train = runs.path("big");
  RunOptions o;
  o.run_dir = runs.path("r");
  o.quiet = true;
  testing::expect_contains(testing::error_of([&] { run_experiment(e, o); }),
                           {"1x12x12", "input_shape"});
  EXPECT_FALSE(fs::exists(runs.path("r"))) << "nothing may be written";
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST(Loop, CheckpointsEveryNthEpochAndAtTheEndOfThePhase) {
  const Experiment e = load_experiment(
      (fs::path(STRATA_SOURCE_DIR) / "configs" / "smoke" / "autoencoder.yaml").string(),
      {parse_override("data.train=" + data_dir() + "train"),
       parse_override("data.test=" + data_dir() + "test"), parse_override("trainer.epochs=3"),
       parse_override("checkpoint.every_epochs=2"), parse_override("checkpoint.keep=10")});
  testing::TempDir runs;
  RunOptions o;
  o.run_dir = runs.path("r");
  o.quiet = true;
  const RunResult r = run_experiment(e, o);
  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(fs::path(o.run_dir) / "checkpoints"))
    if (f.path().extension() == ".h5") files.push_back(f.path().filename().string());
  std::sort(files.begin(), files.end());
  const int64_t spe = r.steps / 3;  // 96 samples, batch 16
  char a[32], b[32];
  std::snprintf(a, sizeof(a), "step-%09lld.h5", static_cast<long long>(2 * spe));
  std::snprintf(b, sizeof(b), "step-%09lld.h5", static_cast<long long>(3 * spe));
  EXPECT_EQ(files, (std::vector<std::string>{a, b}));
}

}  // namespace
}  // namespace strata
