// `strata bench --reader`: its options and the one JSON line it prints.
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
using Args = std::vector<std::string>;

TEST(BenchReaderArgs, ReaderNeedsNoModel) {
  const BenchOptions o = parse_bench_args({"--reader", "data/*.h5", "--batch", "64"});
  EXPECT_EQ(o.reader, "data/*.h5");
  EXPECT_EQ(o.batch, 64);
  EXPECT_EQ(o.steps, 200);  // batches per window by default with --reader
  EXPECT_EQ(o.prefetch, 2);
  const BenchOptions p = parse_bench_args({"--reader=d", "--steps", "7", "--prefetch", "4"});
  EXPECT_EQ(p.steps, 7);
  EXPECT_EQ(p.prefetch, 4);
  EXPECT_THROW(parse_bench_args({"--reader", "d", "--model", "sae_layer1"}), Error);
  EXPECT_THROW(parse_bench_args({"--reader", "d", "--prefetch", "0"}), Error);
}

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
  EXPECT_EQ(run({"--reader", dir.string(), "--batch", "8", "--steps", "3", "--warmup", "1",
                 "--windows", "1"}),
            0);
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
