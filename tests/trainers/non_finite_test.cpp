// A run whose values stop being finite (an absurd learning rate) fails with a message that names
// the value, the step where it first was not finite and what to do - and, although the steps
// themselves read nothing back, no checkpoint holds parameters from after that step.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/data/convert.h"
#include "core/error.h"
#include "tests/core/config/config_test_util.h"
#include "tests/support/temp_dir.h"
#include "trainers/loop.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* config;   // configs/smoke/<config>.yaml
  const char* lr;       // the override's key and value
  const char* hint;     // what the message must say to do
  const char* value;    // the value it must name
  int64_t every_steps;  // logging.every_steps: the check also runs at checkpoints in between
};

class NonFinite : public ::testing::TestWithParam<Case> {};

TEST_P(NonFinite, StopsBeforeAnyCheckpointAfterTheBadStep) {
  testing::TempDir dir("strata_non_finite");
  ConvertOptions co;
  co.out_dir = dir.path("train");
  co.shard_size = 40;
  convert_synthetic(96, 1, 8, 8, 5, 4, co);
  co.out_dir = dir.path("test");
  convert_synthetic(32, 1, 8, 8, 6, 4, co);
  const Case& c = GetParam();
  const Experiment e = load_experiment(
      (fs::path(STRATA_SOURCE_DIR) / "configs" / "smoke" / (std::string(c.config) + ".yaml"))
          .string(),
      {parse_override("data.train=" + dir.path("train")),
       parse_override("data.test=" + dir.path("test")), parse_override(c.lr),
       parse_override("trainer.epochs=3"), parse_override("checkpoint.every_steps=1"),
       parse_override("checkpoint.keep=1000"),
       parse_override("logging.every_steps=" + std::to_string(c.every_steps))});
  RunOptions o;
  o.run_dir = dir.path("run");
  o.quiet = true;
  std::string message;
  try {
    run_experiment(e, o);
  } catch (const Error& err) {
    message = err.what();
  }
  ASSERT_FALSE(message.empty()) << "the run should fail";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(message, m, std::regex("became (-?nan|-?inf) at step ([0-9]+)")))
      << message;
  EXPECT_NE(message.find(c.value), std::string::npos) << message;
  EXPECT_NE(message.find(c.hint), std::string::npos) << message;
  const int64_t bad = std::stoll(m[2]);
  // Checkpoint step-N holds the parameters after N steps (0 .. N - 1): none may include the bad
  // step's update. Every step before it checkpoints, so the check is not vacuous when bad > 0 (a
  // GAN's G loss fails at step 0 already: the same step's D update blew D up).
  std::vector<int64_t> saved;
  for (const auto& f : fs::directory_iterator(fs::path(o.run_dir) / "checkpoints"))
    if (f.path().extension() == ".h5")
      saved.push_back(std::stoll(f.path().stem().string().substr(5)));
  std::sort(saved.begin(), saved.end());
  if (bad == 0) {
    EXPECT_TRUE(saved.empty()) << message;
    return;
  }
  ASSERT_FALSE(saved.empty()) << "no checkpoint before step " << bad << ": " << message;
  EXPECT_EQ(saved.back(), bad) << message;
}

INSTANTIATE_TEST_SUITE_P(Loop, NonFinite,
                         ::testing::Values(Case{"classifier", "optimizer.lr=1e30",
                                                "lower optimizer.lr", "the loss", 1000},
                                           Case{"gan", "optimizer.lr=1e30",
                                                "lower the optimizer's lr", "the g_loss", 3}),
                         [](const auto& info) { return std::string(info.param.config); });

}  // namespace
}  // namespace strata
