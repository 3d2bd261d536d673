// `strata bench` flags: defaults, both flag forms, and errors that say what is accepted.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "bench/args.h"
#include "cli/bench_flags.h"
#include "cli/commands.h"
#include "core/error.h"

namespace strata::cli {
namespace {

using bench::BenchOptions;

BenchOptions parse(const Args& args) {
  const std::optional<BenchOptions> o = parse_bench_flags(args);
  EXPECT_TRUE(o.has_value()) << "no --help given";
  return o.value_or(BenchOptions{});
}

std::string error_of(const Args& args) {
  try {
    parse_bench_flags(args);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(BenchFlags, Defaults) {
  const BenchOptions o = parse({"--model", "dcgan28"});
  EXPECT_EQ(o.model, "dcgan28");
  EXPECT_EQ(o.device, "cpu");
  EXPECT_EQ(o.precision, "fp32");
  EXPECT_EQ(o.steps, 10);
  EXPECT_EQ(o.warmup, 5);
  EXPECT_EQ(o.windows, 3);
  EXPECT_EQ(o.threads, 0);
  EXPECT_EQ(o.batch, 0);
  EXPECT_EQ(o.data, "synthetic");
  EXPECT_EQ(o.seed, 1u);
  EXPECT_FALSE(o.profile);
  EXPECT_FALSE(o.comm);
  EXPECT_EQ(o.bucket_mb, 25.0);
}

TEST(BenchFlags, AllOptionsBothForms) {
  const BenchOptions o =
      parse({"--model=sae_layer1", "--device", "cpu", "--steps", "7", "--warmup=0", "--repeats",
             "4", "--threads", "1", "--batch=32", "--data-batches", "2", "--seed", "9", "--profile",
             "--data=resident"});
  EXPECT_EQ(o.model, "sae_layer1");
  EXPECT_EQ(o.steps, 7);
  EXPECT_EQ(o.warmup, 0);
  EXPECT_EQ(o.windows, 4);
  EXPECT_EQ(o.threads, 1);
  EXPECT_EQ(o.batch, 32);
  EXPECT_EQ(o.data_batches, 2);
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.data, "resident");
  EXPECT_TRUE(o.profile);
  EXPECT_EQ(parse({"--model", "dcgan64", "--windows", "5"}).windows, 5);
  // A flag given twice keeps its last value, as before CLI11.
  EXPECT_EQ(parse({"--model", "dcgan64", "--steps", "3", "--steps=4"}).steps, 4);
}

TEST(BenchFlags, Comm) {
  const BenchOptions o =
      parse({"--comm", "--bytes", "1048576", "--iters", "5", "--steps", "0", "--bucket-mb=0.5"});
  EXPECT_TRUE(o.comm);
  EXPECT_EQ(o.bytes, 1048576);
  EXPECT_EQ(o.iters, 5);
  EXPECT_EQ(o.steps, 0);  // skips the model step
  EXPECT_EQ(o.bucket_mb, 0.5);
  EXPECT_TRUE(o.model.empty());
}

TEST(BenchFlags, ReaderNeedsNoModel) {
  const BenchOptions o = parse({"--reader", "data/*.h5", "--batch", "64"});
  EXPECT_EQ(o.reader, "data/*.h5");
  EXPECT_EQ(o.batch, 64);
  EXPECT_EQ(o.steps, 200);  // batches per window by default with --reader
  EXPECT_EQ(o.prefetch, 2);
  const BenchOptions p = parse({"--reader=d", "--steps", "7", "--prefetch", "4"});
  EXPECT_EQ(p.steps, 7);
  EXPECT_EQ(p.prefetch, 4);
  EXPECT_NE(error_of({"--reader", "d", "--model", "sae_layer1"}).find("two benchmarks"),
            std::string::npos);
  EXPECT_NE(error_of({"--reader", "d", "--prefetch", "0"}).find("--prefetch: must be between 1"),
            std::string::npos);
}

TEST(BenchFlags, DeviceIsCpuCudaOrAuto) {
  for (const char* d : {"cpu", "cuda", "auto"}) {
    EXPECT_EQ(parse({"--model", "dcgan28", "--device", d}).device, d);
  }
  const std::string e = error_of({"--model", "dcgan28", "--device", "gpu"});
  EXPECT_NE(e.find("--device"), std::string::npos) << e;
  EXPECT_NE(e.find("cuda"), std::string::npos) << e;
}

TEST(BenchFlags, PrecisionIsFp32Tf32OrBf16) {
  for (const char* p : {"fp32", "tf32", "bf16"})
    EXPECT_EQ(parse({"--model", "dcgan28", "--precision", p}).precision, p);
  const std::string e = error_of({"--model", "dcgan28", "--precision", "fp16"});
  EXPECT_NE(e.find("--precision"), std::string::npos) << e;
  EXPECT_NE(e.find("bf16"), std::string::npos) << e;
}

// Each error names the flag and says what is accepted.
TEST(BenchFlags, Errors) {
  const auto has = [](const Args& args, const std::string& part) {
    const std::string e = error_of(args);
    return e.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                             : ::testing::AssertionFailure() << "'" << e << "'";
  };
  EXPECT_TRUE(has({"--model", "sae_layer1", "--stepz", "3"}, "unknown option '--stepz'"));
  EXPECT_TRUE(has({"--model", "sae_layer1", "--stepz=3"}, "unknown option '--stepz'"));
  EXPECT_TRUE(has({"--model", "sae_layer1", "--stepz"}, "see 'strata bench --help'"));
  EXPECT_TRUE(has({"--steps", "3"}, "--model is required"));
  EXPECT_TRUE(has({"--model", "vgg"}, "unknown benchmark model 'vgg'"));
  EXPECT_TRUE(has({"--model", "dcgan28", "--steps"}, "--steps needs a value"));
  EXPECT_TRUE(has({"--model", "dcgan28", "--steps", "3x"}, "--steps: expects an integer"));
  EXPECT_TRUE(has({"--model", "dcgan28", "--steps=3x"}, "--steps: expects an integer, got '3x'"));
  EXPECT_TRUE(has({"--model", "dcgan28", "--steps", "0"}, "give at least 1"));
  EXPECT_TRUE(has({"--comm", "--bucket-mb", "0"}, "positive number of MiB"));
  EXPECT_TRUE(has({"--comm", "--bytes", "6"}, "multiple of 4"));
  EXPECT_TRUE(has({"--comm", "--model", "vgg"}, "unknown benchmark model"));
  EXPECT_TRUE(
      has({"--model", "dcgan28", "--threads", "-2"}, "--threads: must be between 1 and 4096"));
  EXPECT_TRUE(has({"--model", "dcgan28", "--profile=1"}, "--profile takes no value"));
  EXPECT_TRUE(has({"dcgan28"}, "unexpected argument 'dcgan28'"));
}

TEST(BenchFlags, HelpNeedsNoModel) {
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse_bench_flags({"--help"}).has_value());
  EXPECT_EQ(run_bench({"-h"}), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("--model"), std::string::npos) << out;
  EXPECT_NE(out.find("--bucket-mb"), std::string::npos) << out;
}

}  // namespace
}  // namespace strata::cli
