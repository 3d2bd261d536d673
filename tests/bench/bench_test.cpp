// `strata bench` on a model: the one JSON line it prints.
#include <gtest/gtest.h>

#include <string>

#include "bench/args.h"
#include "bench/bench.h"
#include "core/device_select.h"
#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace strata::bench {
namespace {

TEST(BenchRun, PrintsOneJsonLine) {
  const testing::TempTmpdir tmp("strata_bench_run");  // the benchmark caches its data in $TMPDIR
  BenchOptions o;
  o.model = "sae_layer1";
  o.steps = 2;
  o.warmup = 1;
  o.windows = 1;
  o.batch = 8;
  o.threads = 1;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run(o), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  // cuda_graphs: false on the CPU, whatever --cuda-graphs says (it is on by default).
  EXPECT_EQ(out.rfind("{\"model\": \"sae_layer1\", \"device\": \"cpu\", \"precision\": \"fp32\", "
                      "\"cuda_graphs\": false, \"batch\": 8, \"samples_per_s\": ",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("\"peak_rss_mb\": "), std::string::npos) << out;
  EXPECT_NE(out.find("\"peak_bytes\": "), std::string::npos) << out;
  EXPECT_NE(out.find("\"device_used_bytes\": null}"), std::string::npos) << out;  // not CUDA
  EXPECT_NE(out.find("\"threads\": 1"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line";
}

// --precision bf16: the line says so (the figures compare at one precision).
TEST(BenchRun, PrintsItsPrecision) {
  const testing::TempTmpdir tmp("strata_bench_precision");
  BenchOptions o;
  o.model = "sae_layer1";
  o.precision = "bf16";
  o.steps = 1;
  o.warmup = 1;
  o.windows = 1;
  o.batch = 8;
  o.threads = 1;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run(o), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("\"precision\": \"bf16\""), std::string::npos) << out;
}

// --device cuda where it cannot run: an error that says why and what to do, before any work.
TEST(BenchRun, CudaWithoutAGpuSaysWhy) {
  std::string why;
  if (visible_gpus(&why) > 0) GTEST_SKIP() << "a GPU is visible: tests/core/gpu covers this";
  BenchOptions o;
  o.model = "sae_layer1";
  o.device = "cuda";
  o.data = "resident";
  try {
    run(o);
    FAIL() << "--device cuda ran without a GPU";
  } catch (const Error& e) {
    const std::string m = e.message();
    EXPECT_TRUE(m.find("no GPU is visible") != std::string::npos ||
                m.find("built without CUDA") != std::string::npos)
        << m;
    EXPECT_NE(m.find("device: cpu"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace strata::bench
