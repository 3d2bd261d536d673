// A run folder is one whole run or refused (trainers/run/run_folder.h): what a new run, --resume
// auto and --resume PATH accept, and what begin_run_folder changes.
#include "trainers/run/run_folder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/trainers/run/run_test_util.h"
#include "trainers/run/checkpoint.h"
#include "trainers/run/text_file.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using run_test::error_of;
using run_test::expect_contains;
using run_test::read_text;
using run_test::TempDir;

const std::string kYaml = "seed: 1\ntrainer: {epochs: 2}\nlogging: {every_steps: 5}\n";

// A checkpoint of an empty state written by the experiment `yaml` at global step `step`.
void write_ckpt(const std::string& run, const std::string& yaml, int64_t step) {
  CheckpointDir dir((fs::path(run) / "checkpoints").string(), 3);
  CheckpointMeta meta;
  meta.pos.global_step = step;
  meta.config_yaml = yaml;
  StateRegistry state;
  dir.save(state, meta);
}

void write_metrics(const std::string& path, std::initializer_list<int> steps) {
  std::ofstream out(path);
  for (int s : steps) out << "{\"step\": " << s << ", \"epoch\": 1, \"loss\": 0.5}\n";
}

TEST(RunFolder, ANewRunNeedsAFolderWithoutARun) {
  TempDir tmp;
  const std::string run = tmp.path("run");
  EXPECT_TRUE(plan_run_start(run, "", kYaml).checkpoint.empty());  // missing: fine
  fs::create_directories(run);
  std::ofstream(tmp.path("run/notes.txt")) << "mine";  // not a run's entry
  EXPECT_FALSE(plan_run_start(run, "", kYaml).start_over);
  write_metrics(tmp.path("run/metrics.jsonl"), {5, 10});
  expect_contains(error_of([&] { plan_run_start(run, "", kYaml); }),
                  {run, "already holds a run (metrics.jsonl)", "--resume auto", "--run-dir"});
  std::ofstream(tmp.path("file")) << "x";
  expect_contains(error_of([&] { plan_run_start(tmp.path("file"), "", kYaml); }),
                  {"is a file, not a run folder"});
}

TEST(RunFolder, ResumeAutoWithoutACheckpointStartsOverTheSameExperiment) {
  TempDir tmp;
  const std::string run = tmp.path("run");
  fs::create_directories(run + "/samples");
  write_metrics(run + "/metrics.jsonl", {5, 10, 15});
  write_text_atomically(run + "/config.yaml", kYaml);
  std::ofstream(run + "/loss.png.tmp-4242") << "half";
  const RunStart s = plan_run_start(run, "auto", kYaml);
  EXPECT_TRUE(s.checkpoint.empty());
  EXPECT_TRUE(s.start_over);
  // Keys that only say how the run executes may change; others may not.
  EXPECT_TRUE(plan_run_start(run, "auto",
                             "seed: 1\ntrainer: {epochs: 2}\nlogging: {every_steps: "
                             "9}\n")
                  .start_over);
  expect_contains(error_of([&] {
                    plan_run_start(run, "auto", "seed: 1\ntrainer: {epochs: 3}\nlogging: {}\n");
                  }),
                  {"holds a different experiment", "trainer.epochs: 2 -> 3"});
  const std::string said = begin_run_folder(run, s, kYaml, 0);
  EXPECT_NE(said.find("starting the run over"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(run + "/metrics.jsonl"));
  EXPECT_FALSE(fs::exists(run + "/loss.png.tmp-4242"));
  EXPECT_TRUE(fs::is_directory(run + "/samples"));
  EXPECT_EQ(read_text(run + "/config.yaml"), kYaml);
}

TEST(RunFolder, ResumeContinuesTheCheckpointAndDropsLaterRecords) {
  TempDir tmp;
  const std::string run = tmp.path("run");
  write_ckpt(run, kYaml, 10);
  write_text_atomically(run + "/config.yaml", kYaml);
  write_metrics(run + "/metrics.jsonl", {5, 10, 15, 20});
  {
    std::ofstream out(run + "/metrics.jsonl", std::ios::app);
    out << "{\"step\": 25, \"ep";  // half-written by a kill
  }
  const RunStart s = plan_run_start(run, "auto", kYaml);
  EXPECT_EQ(fs::path(s.checkpoint).filename(), "step-000000010.h5");
  EXPECT_FALSE(s.start_over);
  // The checkpoint's own experiment is checked, whatever config.yaml says.
  expect_contains(error_of([&] { plan_run_start(run, "auto", "seed: 2\ntrainer: {epochs: 2}\n"); }),
                  {"the checkpoint", "step-000000010.h5", "seed: 1 -> 2"});
  // The checkpoint holds fp32 values: the precision may change on resume.
  EXPECT_FALSE(plan_run_start(run, "auto", kYaml + "precision: bf16\n").start_over);
  const std::string said = begin_run_folder(run, s, kYaml, 10);
  EXPECT_NE(said.find("dropped 2 record(s) after step 10"), std::string::npos) << said;
  EXPECT_EQ(read_text(run + "/metrics.jsonl"),
            "{\"step\": 5, \"epoch\": 1, \"loss\": 0.5}\n{\"step\": 10, \"epoch\": 1, \"loss\": "
            "0.5}\n");
}

TEST(RunFolder, ResumeFromAnotherRunsCheckpointIntoAnEmptyFolder) {
  TempDir tmp;
  write_ckpt(tmp.path("a"), kYaml, 7);
  const RunStart s = plan_run_start(tmp.path("b"), tmp.path("a"), kYaml);
  EXPECT_EQ(fs::path(s.checkpoint).filename(), "step-000000007.h5");
  EXPECT_TRUE(s.entries.empty());
  expect_contains(error_of([&] { plan_run_start(tmp.path("b"), tmp.path("nowhere"), kYaml); }),
                  {"nowhere", "no such file or folder"});
}

TEST(RunFolder, TruncateKeepsRecordsThroughTheStep) {
  TempDir tmp;
  const std::string p = tmp.path("m.jsonl");
  write_metrics(p, {1, 2, 3, 3, 4});
  EXPECT_EQ(truncate_metrics_after(p, 3), 1);
  EXPECT_EQ(truncate_metrics_after(p, 3), 0);
  EXPECT_EQ(truncate_metrics_after(p, 0), 4);
  EXPECT_EQ(read_text(p), "");
}

}  // namespace
}  // namespace strata
