// Loss curves from metrics.jsonl: which metrics (loss, or a GAN's *_loss), one series per phase,
// records without the metric skipped, the error listing the metrics a file has, and loss.png.
#include "trainers/plot/loss_curve.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "tests/trainers/run/run_test_util.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::TempDir;

const char* const kStacked =
    "{\"step\": 10, \"epoch\": 1, \"phase\": \"pretrain_1\", \"loss\": 0.5, \"mse\": 0.5}\n"
    "{\"step\": 20, \"epoch\": 1, \"phase\": \"pretrain_1\", \"loss\": 0.3, \"mse\": 0.3}\n"
    "{\"step\": 20, \"epoch\": 1, \"phase\": \"pretrain_1\", \"test_mse\": 0.31}\n"
    "{\"step\": 30, \"epoch\": 1, \"phase\": \"finetune\", \"loss\": null, \"mse\": 0.2}\n"
    "{\"step\": 40, \"epoch\": 1, \"phase\": \"finetune\", \"loss\": 0.1, \"mse\": 0.1}\n";

const char* const kGan =
    "{\"step\": 10, \"epoch\": 1, \"phase\": \"gan\", \"d_loss\": 0.7, \"g_loss\": 2.5, "
    "\"d_real\": 0.8}\n"
    "{\"step\": 20, \"epoch\": 1, \"phase\": \"gan\", \"d_loss\": 0.6, \"g_loss\": 2.1, "
    "\"d_real\": 0.7}\n";

TEST(LossCurve, ChoosesTheLossMetrics) {
  EXPECT_EQ(loss_metrics(parse_metrics(kStacked, "m")), std::vector<std::string>({"loss"}));
  EXPECT_EQ(loss_metrics(parse_metrics(kGan, "m")), std::vector<std::string>({"d_loss", "g_loss"}));
  EXPECT_TRUE(loss_metrics(parse_metrics("{\"step\": 1, \"accuracy\": 1}\n", "m")).empty());
}

TEST(LossCurve, OneSeriesPerPhase) {
  const LinePlot p =
      metrics_plot(parse_metrics(kStacked, "run/metrics.jsonl"), {"loss"}, "run/metrics.jsonl");
  ASSERT_EQ(p.series.size(), 2u);
  EXPECT_EQ(p.series[0].name, "pretrain_1");
  EXPECT_EQ(p.series[1].name, "finetune");
  // The evaluation record (no loss) is skipped; the null stays, to break the line.
  ASSERT_EQ(p.series[0].points.size(), 2u);
  EXPECT_EQ(p.series[0].points[1], std::make_pair(20.0, 0.3));
  ASSERT_EQ(p.series[1].points.size(), 2u);
  EXPECT_TRUE(std::isnan(p.series[1].points[0].second));
  EXPECT_EQ(p.title, "loss - run");
  EXPECT_EQ(p.x_label, "step");
  // Several metrics: "phase: metric", or the metric alone when there is one phase.
  const LinePlot both = metrics_plot(parse_metrics(kStacked, "m"), {"loss", "mse"}, "m");
  ASSERT_EQ(both.series.size(), 4u);
  EXPECT_EQ(both.series[1].name, "pretrain_1: mse");
  const LinePlot gan = metrics_plot(parse_metrics(kGan, "m"), {"d_loss", "g_loss"}, "m");
  ASSERT_EQ(gan.series.size(), 2u);
  EXPECT_EQ(gan.series[0].name, "d_loss");
  EXPECT_EQ(gan.series[1].name, "g_loss");
}

TEST(LossCurve, AResumedRunsRepeatedStepsKeepTheirLastRecord) {
  // Killed after step 30, resumed from the checkpoint of step 20: steps 30 and 40 logged after.
  const char* const resumed =
      "{\"step\": 10, \"epoch\": 1, \"phase\": \"p\", \"loss\": 0.5}\n"
      "{\"step\": 20, \"epoch\": 1, \"phase\": \"p\", \"loss\": 0.4}\n"
      "{\"step\": 30, \"epoch\": 1, \"phase\": \"p\", \"loss\": 0.35}\n"
      "{\"step\": 30, \"epoch\": 1, \"phase\": \"p\", \"loss\": 0.3}\n"
      "{\"step\": 40, \"epoch\": 1, \"phase\": \"p\", \"loss\": 0.2}\n";
  const LinePlot p = metrics_plot(parse_metrics(resumed, "m"), {"loss"}, "m");
  ASSERT_EQ(p.series.size(), 1u);
  const std::vector<std::pair<double, double>> want = {
      {10.0, 0.5}, {20.0, 0.4}, {30.0, 0.3}, {40.0, 0.2}};
  EXPECT_EQ(p.series[0].points, want);
}

TEST(LossCurve, MissingMetricListsWhatTheFileHas) {
  expect_contains(error_of([&] { metrics_plot(parse_metrics(kGan, "m"), {"loss"}, "g.jsonl"); }),
                  {"g.jsonl", "no record has the metric loss", "d_loss, g_loss, d_real"});
}

TEST(LossCurve, WritesLossPngInTheRunFolder) {
  TempDir dir;
  std::ofstream(dir.path("metrics.jsonl")) << kGan;
  EXPECT_TRUE(write_loss_curve(dir.root().string()));
  EXPECT_EQ(dir.files(), std::vector<std::string>({"loss.png", "metrics.jsonl"}));
  EXPECT_GT(std::filesystem::file_size(dir.path("loss.png")), 1000u);
  // No loss yet: nothing written.
  TempDir fresh;
  std::ofstream(fresh.path("metrics.jsonl")) << "{\"step\": 1, \"test_accuracy\": 0.5}\n";
  EXPECT_FALSE(write_loss_curve(fresh.root().string()));
  EXPECT_EQ(fresh.files(), std::vector<std::string>({"metrics.jsonl"}));
  // A broken file: write_loss_curve throws, update_loss_curve only warns.
  std::ofstream(fresh.path("metrics.jsonl")) << "{\"step\": 1, \"loss\": }\n{\"step\": 2}\n";
  expect_contains(error_of([&] { write_loss_curve(fresh.root().string()); }), {"metrics.jsonl:1"});
  update_loss_curve(fresh.root().string());
  EXPECT_EQ(fresh.files(), std::vector<std::string>({"metrics.jsonl"}));
}

}  // namespace
}  // namespace strata
