// CheckpointDir (step-*.h5 names, keeping the last N, `latest`) and resolve_checkpoint (a file,
// a checkpoints/ folder, a run folder, and the errors when there is no checkpoint).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/trainers/run/run_test_util.h"
#include "trainers/run/checkpoint.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::read_text;
using run_test::TempDir;
namespace fs = std::filesystem;

struct SmallState {
  Tensor w{Shape{4}};
  StateRegistry reg;
  SmallState() { reg.add("net/m", "0.dense.weight", &w); }
};

CheckpointMeta at_step(int64_t step) {
  CheckpointMeta m;
  m.pos.global_step = step;
  m.config_yaml = "kind: gan\n";
  return m;
}

TEST(CheckpointDir, KeepsTheLastNAndLatestNamesTheNewest) {
  TempDir run;
  SmallState s;
  CheckpointDir ckpt(run.path("checkpoints"), 2);  // created here
  EXPECT_TRUE(fs::is_directory(run.path("checkpoints")));
  EXPECT_FALSE(ckpt.latest().has_value());
  for (int64_t step : {100, 200, 300, 400}) {
    s.w.fill(static_cast<float>(step));
    const std::string path = ckpt.save(s.reg, at_step(step));
    EXPECT_EQ(fs::path(path).filename().string(), "step-000000" + std::to_string(step) + ".h5");
  }
  EXPECT_EQ(run.files("checkpoints"),
            std::vector<std::string>({"latest", "step-000000300.h5", "step-000000400.h5"}));
  EXPECT_EQ(read_text(run.path("checkpoints/latest")), "step-000000400.h5\n");
  ASSERT_TRUE(ckpt.latest().has_value());
  EXPECT_EQ(*ckpt.latest(), run.path("checkpoints/step-000000400.h5"));

  SmallState back;
  const CheckpointMeta m = read_checkpoint(*ckpt.latest(), back.reg);
  EXPECT_EQ(m.pos.global_step, 400);
  EXPECT_EQ(back.w[3], 400.0f);
}

TEST(CheckpointDir, KeepsTheFileJustWrittenWhenAResumedRunIsBehind) {
  TempDir run;
  SmallState s;
  CheckpointDir ckpt(run.path("checkpoints"), 1);
  ckpt.save(s.reg, at_step(500));
  ckpt.save(s.reg, at_step(300));  // resumed from an earlier checkpoint
  EXPECT_EQ(run.files("checkpoints"), std::vector<std::string>({"latest", "step-000000300.h5"}));
  EXPECT_EQ(*ckpt.latest(), run.path("checkpoints/step-000000300.h5"));
}

TEST(CheckpointDir, BadArgumentsAreErrors) {
  TempDir run;
  expect_contains(error_of([&] { CheckpointDir(run.path("c"), 0); }), {"keep", "1 or more"});
  std::ofstream(run.path("file")) << "x";
  expect_contains(error_of([&] { CheckpointDir(run.path("file"), 3); }),
                  {run.path("file"), "cannot create"});
}

TEST(CheckpointDir, LatestNamingAMissingFileIsNone) {
  TempDir run;
  CheckpointDir ckpt(run.path("checkpoints"), 2);
  std::ofstream(run.path("checkpoints/latest")) << "step-000000007.h5\n";
  EXPECT_FALSE(ckpt.latest().has_value());
  expect_contains(error_of([&] { resolve_checkpoint(run.path("checkpoints")); }),
                  {"step-000000007.h5", "does not exist"});
}

TEST(ResolveCheckpoint, FileCheckpointsFolderAndRunFolder) {
  TempDir run;
  SmallState s;
  CheckpointDir ckpt(run.path("checkpoints"), 3);
  ckpt.save(s.reg, at_step(1));
  const std::string newest = ckpt.save(s.reg, at_step(2));
  const std::string older = run.path("checkpoints/step-000000001.h5");
  EXPECT_EQ(resolve_checkpoint(older), older);
  EXPECT_EQ(resolve_checkpoint(run.path("checkpoints")), newest);
  EXPECT_EQ(resolve_checkpoint(run.root().string()), newest);
}

TEST(ResolveCheckpoint, SaysWhatItLookedFor) {
  TempDir run;
  const std::string msg = error_of([&] { resolve_checkpoint(run.root().string()); });
  expect_contains(msg, {run.path("latest"), run.path("checkpoints/latest"), "no checkpoint"});
  expect_contains(error_of([&] { resolve_checkpoint(run.path("nope")); }),
                  {run.path("nope"), "no such file"});
}

}  // namespace
}  // namespace strata
