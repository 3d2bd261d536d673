// `strata scale` flags: defaults, compute points, and errors that say what is accepted.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "bench/scale_args.h"
#include "cli/commands.h"
#include "cli/scale_flags.h"
#include "core/error.h"

namespace strata::cli {
namespace {

using scaling::ScaleOptions;

const std::string kCluster = std::string(STRATA_SOURCE_DIR) + "/configs/clusters/dgx_h100_ib.yaml";

ScaleOptions parse(Args args) {
  const std::optional<ScaleOptions> o = parse_scale_flags(args);
  EXPECT_TRUE(o.has_value()) << "no --help given";
  return o.value_or(ScaleOptions{});
}

std::string error_of(const Args& args) {
  try {
    parse_scale_flags(args);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(ScaleFlags, Defaults) {
  const ScaleOptions o =
      parse({"--model", "sae_finetune", "--cluster", kCluster, "--step-ms", "2.35@256"});
  EXPECT_EQ(o.model, "sae_finetune");
  EXPECT_EQ(o.cluster, kCluster);
  EXPECT_EQ(o.gpus, (std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}));
  ASSERT_EQ(o.steps.size(), 1u);
  EXPECT_EQ(o.steps[0].batch, 256.0);
  EXPECT_EQ(o.steps[0].ms, 2.35);
  EXPECT_FALSE(o.measure);
  EXPECT_EQ(o.bucket_mb, 0.0);
  EXPECT_EQ(o.batch, 0);
  EXPECT_EQ(o.target_efficiency, 0.9);
}

TEST(ScaleFlags, ComputePointsAndLists) {
  const ScaleOptions o = parse({"--model=dcgan28", "--cluster", kCluster, "--gpus", "1,8,64",
                                "--step-ms", "1@64,2.5@128", "--samples-per-s", "1000@250",
                                "--algorithm", "tree", "--bucket-mb", "4"});
  EXPECT_EQ(o.gpus, (std::vector<int>{1, 8, 64}));
  ASSERT_EQ(o.steps.size(), 3u);
  EXPECT_EQ(o.steps[1].batch, 128.0);
  EXPECT_EQ(o.steps[1].ms, 2.5);
  EXPECT_DOUBLE_EQ(o.steps[2].ms, 250.0);  // 250 samples at 1000 a second
  EXPECT_EQ(o.algorithm, "tree");
  EXPECT_EQ(o.bucket_mb, 4.0);
  EXPECT_TRUE(parse({"--model", "dcgan64", "--cluster", kCluster, "--measure"}).measure);
}

TEST(ScaleFlags, HelpReturnsNothing) {
  testing::internal::CaptureStdout();
  EXPECT_FALSE(parse_scale_flags({"--help"}).has_value());
  const std::string help = testing::internal::GetCapturedStdout();
  EXPECT_NE(help.find("--step-ms"), std::string::npos);
  EXPECT_NE(help.find("--cluster"), std::string::npos);
}

TEST(ScaleFlags, Errors) {
  const Args base = {"--cluster", kCluster, "--step-ms", "2@256"};
  auto with = [&](Args extra) {
    Args a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return error_of(a);
  };
  EXPECT_NE(error_of({"--cluster", kCluster, "--step-ms", "2@256"}).find("--model"),
            std::string::npos);
  EXPECT_NE(with({"--model", "resnet"}).find("sae_finetune"), std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--step-ms", "1@2"}).find("--cluster"),
            std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--cluster", "/nonexistent.yaml", "--measure"})
                .find("/nonexistent.yaml"),
            std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--cluster", kCluster}).find("--step-ms"),
            std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--measure"}).find("not both"), std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--step-ms", "2"}).find("VALUE@BATCH"), std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--step-ms", "2@0"}).find("VALUE@BATCH"),
            std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--gpus", "1,x"}).find("--gpus"), std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--gpus", "0"}).find("--gpus"), std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--bucket-mb", "0"}).find("--bucket-mb"),
            std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--bucket-mb", "1e9"}).find("--bucket-mb"),
            std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--algorithm", "mesh"}).find("--algorithm"),
            std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--frobnicate"}).find("unknown option '--frobnicate'"),
            std::string::npos);
  const std::string config = std::string(STRATA_SOURCE_DIR) + "/configs/smoke/gan.yaml";
  EXPECT_NE(error_of({"--config", config, "--cluster", kCluster, "--measure"}).find("--model"),
            std::string::npos);
  EXPECT_NE(with({"--model", "dcgan28", "--config", config}).find("not both"), std::string::npos);
}

}  // namespace
}  // namespace strata::cli
