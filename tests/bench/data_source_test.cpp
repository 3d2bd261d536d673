// Where `strata bench` gets its batches: synthetic shards through the reader (the default), the
// user's shards, or resident memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "bench/args.h"
#include "bench/data_source.h"
#include "bench/models.h"
#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace strata::bench {
namespace {

namespace fs = std::filesystem;

class BenchDataTest : public ::testing::Test {
 protected:
  testing::TempTmpdir tmp_{"strata_bench_data"};  // the benchmark caches its data in $TMPDIR
  const fs::path& dir_ = tmp_.dir().root();
};

TEST_F(BenchDataTest, DefaultIsSyntheticShardsThroughTheReader) {
  EXPECT_EQ(BenchOptions{}.data, "synthetic");  // the default of --data
  const ModelInfo& info = find_model("dcgan28");
  auto data = make_bench_data("synthetic", info, Shape{1, 28, 28}, 16, 4, 1);
  EXPECT_STREQ(data->kind(), "reader");
  const Tensor& x = data->next(0);
  EXPECT_EQ(x.shape(), (Shape{16, 1, 28, 28}));
  float lo = 1e9f, hi = -1e9f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  EXPECT_GE(lo, -1.0f);  // a GAN reads [-1, 1]
  EXPECT_LE(hi, 1.0f);
  EXPECT_LT(lo, -0.5f);
  // The shards are cached under $TMPDIR/strata-bench and reused.
  EXPECT_TRUE(fs::exists(dir_ / "strata-bench" / "1x28x28-4096" / "shard-00001.h5"));
  auto again = make_bench_data("synthetic", info, Shape{1, 28, 28}, 16, 4, 1);
  EXPECT_EQ(again->next(0).shape(), (Shape{16, 1, 28, 28}));
}

TEST_F(BenchDataTest, AutoencoderReadsUnitScaleAndFlatSamples) {
  const ModelInfo& info = find_model("sae_finetune");
  auto data = make_bench_data("synthetic", info, Shape{784}, 8, 4, 1);
  const Tensor& x = data->next(0);
  EXPECT_EQ(x.shape(), (Shape{8, 784}));
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_GE(x[i], 0.0f);
}

TEST_F(BenchDataTest, ResidentNeedsNoFiles) {
  auto data = make_bench_data("resident", find_model("sae_layer1"), Shape{784}, 8, 2, 1);
  EXPECT_STREQ(data->kind(), "resident");
  EXPECT_EQ(data->next(3).shape(), (Shape{8, 784}));
  EXPECT_FALSE(fs::exists(dir_ / "strata-bench"));
}

TEST_F(BenchDataTest, UserShardsMustExistAndFit) {
  EXPECT_THROW(make_bench_data((dir_ / "nothing-*.h5").string(), find_model("dcgan28"),
                               Shape{1, 28, 28}, 8, 4, 1),
               Error);
  // Shards of 28x28 do not fit dcgan64's 3x64x64 samples.
  auto made = make_bench_data("synthetic", find_model("dcgan28"), Shape{1, 28, 28}, 8, 4, 1);
  try {
    make_bench_data((dir_ / "strata-bench" / "1x28x28-4096").string(), find_model("dcgan64"),
                    Shape{3, 64, 64}, 8, 4, 1);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("do not fit model dcgan64"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace strata::bench
