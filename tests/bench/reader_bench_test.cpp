// `strata bench --reader`: the one JSON line it prints.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bench/args.h"
#include "bench/bench.h"
#include "core/data/shard_writer.h"
#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace strata::bench {
namespace {

namespace fs = std::filesystem;

TEST(BenchReaderRun, PrintsOneJsonLine) {
  const testing::TempDir tmp("strata_reader_bench");
  const fs::path& dir = tmp.root();
  ShardWriterOptions w;
  w.channels = 1;
  w.height = 4;
  w.width = 4;
  std::vector<uint8_t> pixels(20 * 16, 7);
  for (int s = 0; s < 2; ++s) {
    ShardWriter writer((dir / ("s" + std::to_string(s) + ".h5")).string(), 20, w);
    writer.append(pixels.data(), nullptr, 20);
    writer.finish();
  }
  ::testing::internal::CaptureStdout();
  BenchOptions o;
  o.reader = dir.string();
  o.batch = 8;
  o.steps = 3;
  o.warmup = 1;
  o.windows = 1;
  EXPECT_EQ(run(o), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  fs::remove_all(dir);
  EXPECT_EQ(out.rfind("{\"bench\": \"reader\", \"path\": \"" + dir.string() +
                          "\", \"batch\": 8, \"samples_per_s\": ",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("\"prefetch\": 2"), std::string::npos) << out;
  EXPECT_NE(out.find("\"samples\": 40, \"shards\": 2, \"shape\": \"1x4x4\""), std::string::npos)
      << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line";
}

}  // namespace
}  // namespace strata::bench
