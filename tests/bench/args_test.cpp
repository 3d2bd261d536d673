// `strata bench` options: defaults, both flag forms, and errors that say what is accepted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/args.h"
#include "bench/bench.h"
#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace strata::bench {
namespace {

using Args = std::vector<std::string>;

std::string error_of(const Args& args) {
  try {
    parse_bench_args(args);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(BenchArgs, Defaults) {
  const BenchOptions o = parse_bench_args({"--model", "dcgan28"});
  EXPECT_EQ(o.model, "dcgan28");
  EXPECT_EQ(o.device, "cpu");
  EXPECT_EQ(o.steps, 10);
  EXPECT_EQ(o.warmup, 5);
  EXPECT_EQ(o.windows, 3);
  EXPECT_EQ(o.threads, 0);
  EXPECT_EQ(o.batch, 0);
  EXPECT_FALSE(o.profile);
}

TEST(BenchArgs, AllOptionsBothForms) {
  const BenchOptions o = parse_bench_args(
      {"--model=sae_layer1", "--device", "cpu", "--steps", "7", "--warmup=0", "--repeats", "4",
       "--threads", "1", "--batch=32", "--data-batches", "2", "--seed", "9", "--profile"});
  EXPECT_EQ(o.model, "sae_layer1");
  EXPECT_EQ(o.steps, 7);
  EXPECT_EQ(o.warmup, 0);
  EXPECT_EQ(o.windows, 4);
  EXPECT_EQ(o.threads, 1);
  EXPECT_EQ(o.batch, 32);
  EXPECT_EQ(o.data_batches, 2);
  EXPECT_EQ(o.seed, 9u);
  EXPECT_TRUE(o.profile);
  EXPECT_EQ(parse_bench_args({"--model", "dcgan64", "--windows", "5"}).windows, 5);
}

TEST(BenchArgs, OnlyCpuIsBuilt) {
  const std::string e = error_of({"--model", "dcgan28", "--device", "cuda"});
  EXPECT_NE(e.find("only the cpu device"), std::string::npos) << e;
  EXPECT_NE(e.find("cuda"), std::string::npos) << e;
}

TEST(BenchArgs, Errors) {
  EXPECT_NE(error_of({"--model", "sae_layer1", "--stepz", "3"}).find("unknown option '--stepz'"),
            std::string::npos);
  EXPECT_NE(error_of({"--steps", "3"}).find("--model is required"), std::string::npos);
  EXPECT_NE(error_of({"--model", "vgg"}).find("unknown benchmark model 'vgg'"), std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--steps"}).find("--steps needs a value"),
            std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--steps", "3x"}).find("expects an integer"),
            std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--steps", "0"}).find("give at least 1"),
            std::string::npos);
  EXPECT_NE(error_of({"--comm", "--bucket-mb", "0"}).find("positive number of MiB"),
            std::string::npos);
  EXPECT_NE(error_of({"--comm", "--model", "vgg"}).find("unknown benchmark model"),
            std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--threads", "-2"}).find("between 1 and"),
            std::string::npos);
  EXPECT_NE(error_of({"--model", "dcgan28", "--profile=1"}).find("takes no value"),
            std::string::npos);
  EXPECT_NE(error_of({"dcgan28"}).find("unknown option 'dcgan28'"), std::string::npos);
}

TEST(BenchArgs, HelpNeedsNoModel) {
  EXPECT_TRUE(parse_bench_args({"--help"}).help);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("--model NAME"), std::string::npos);
}

TEST(BenchRun, PrintsOneJsonLine) {
  const testing::TempTmpdir tmp("strata_bench_run");  // the benchmark caches its data in $TMPDIR
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run({"--model", "sae_layer1", "--steps", "2", "--warmup", "1", "--windows", "1",
                 "--batch", "8", "--threads", "1"}),
            0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.rfind("{\"model\": \"sae_layer1\", \"device\": \"cpu\", \"batch\": 8, "
                      "\"samples_per_s\": ",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("\"peak_rss_mb\": "), std::string::npos) << out;
  EXPECT_NE(out.find("\"threads\": 1"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line";
}

}  // namespace
}  // namespace strata::bench
