// Round trips through each converter (inputs written by the test), and inspect_dataset().
#include "core/data/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/core/data/data_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::expect_contains;
using testing::read_all;
using testing::TempDir;
using testing::write_idx;
using testing::write_png;

std::vector<uint8_t> pattern_bytes(size_t n, int salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 37 + salt * 11) % 256);
  return v;
}

TEST(ConvertIdx, RoundTripPlainAndGzipWithShardSize) {
  for (const bool gz : {false, true}) {
    TempDir dir;
    const uint32_t n = 25, h = 4, w = 3;
    const std::vector<uint8_t> images = pattern_bytes(n * h * w, 1);
    std::vector<uint8_t> labels(n);
    for (uint32_t i = 0; i < n; ++i) labels[i] = static_cast<uint8_t>(i % 10);
    const std::string ext = gz ? ".gz" : "";
    write_idx(dir.path("images-idx3-ubyte" + ext), {n, h, w}, images, gz);
    write_idx(dir.path("labels-idx1-ubyte" + ext), {n}, labels, gz);
    ConvertOptions o;
    o.out_dir = dir.path("out");
    o.shard_size = 10;
    o.gzip = gz;
    const ConvertResult r =
        convert_idx(dir.path("images-idx3-ubyte" + ext), dir.path("labels-idx1-ubyte" + ext), o);
    ASSERT_EQ(r.shards.size(), 3u);
    EXPECT_EQ(r.shards[0], dir.path("out/shard-00000.h5"));
    EXPECT_EQ(r.shards[2], dir.path("out/shard-00002.h5"));
    EXPECT_EQ(r.samples, 25);

    const DatasetInfo info = open_dataset(dir.path("out"));
    ASSERT_EQ(info.shards.size(), 3u);
    EXPECT_EQ(info.shards[0].count, 10);
    EXPECT_EQ(info.shards[1].count, 10);
    EXPECT_EQ(info.shards[2].count, 5);
    EXPECT_EQ(info.channels, 1);
    EXPECT_EQ(info.height, 4);
    EXPECT_EQ(info.width, 3);
    EXPECT_EQ(info.dtype, PixelType::kUint8);
    EXPECT_EQ(info.layout, PixelLayout::kNHWC);
    const auto all = read_all<uint8_t>(info);
    EXPECT_EQ(all.images, images);
    ASSERT_EQ(all.labels.size(), n);
    for (uint32_t i = 0; i < n; ++i) EXPECT_EQ(all.labels[i], labels[i]);
  }
}

TEST(ConvertIdx, WithoutLabelsAndBadInputs) {
  TempDir dir;
  write_idx(dir.path("im"), {6, 2, 2}, pattern_bytes(24, 2), false);
  write_idx(dir.path("lab"), {5}, pattern_bytes(5, 3), false);
  ConvertOptions o;
  o.out_dir = dir.path("out");
  const ConvertResult r = convert_idx(dir.path("im"), "", o);
  EXPECT_FALSE(r.has_labels);
  EXPECT_EQ(r.shards.size(), 1u);
  EXPECT_FALSE(open_dataset(dir.path("out")).has_labels);

  o.out_dir = dir.path("out2");
  expect_contains(error_of([&] { convert_idx(dir.path("im"), dir.path("lab"), o); }),
                  {dir.path("lab"), "5 labels", "6"});
  expect_contains(error_of([&] { convert_idx(dir.path("lab"), "", o); }),
                  {dir.path("lab"), "1 dimensions", "--labels"});
  EXPECT_FALSE(fs::exists(dir.path("out2/shard-00000.h5")));
  // Shards already in the folder are not silently mixed with new ones.
  o.out_dir = dir.path("out");
  expect_contains(error_of([&] { convert_idx(dir.path("im"), "", o); }),
                  {dir.path("out"), "already holds shards", "--overwrite"});
  o.overwrite = true;
  o.shard_size = 4;
  EXPECT_EQ(convert_idx(dir.path("im"), "", o).shards.size(), 2u);
  o.shard_size = 10;
  EXPECT_EQ(convert_idx(dir.path("im"), "", o).shards.size(), 1u);
  EXPECT_FALSE(fs::exists(dir.path("out/shard-00001.h5"))) << "stale shard removed";
  EXPECT_EQ(open_dataset(dir.path("out")).total, 6);
}

// Two class folders, written in an order that differs from the alphabetical one.
void write_png_classes(const TempDir& dir, int channels, std::vector<uint8_t>* expected,
                       std::vector<int64_t>* labels) {
  const int w = 5, h = 3;
  const std::vector<std::pair<std::string, int>> classes = {{"zebra", 2}, {"ant", 3}};
  std::map<std::string, std::vector<std::vector<uint8_t>>> by_class;
  int salt = 0;
  for (const auto& [name, count] : classes) {
    fs::create_directories(dir.path("in/" + name));
    for (int i = 0; i < count; ++i) {
      std::vector<uint8_t> px = pattern_bytes(static_cast<size_t>(w * h * channels), ++salt);
      write_png(dir.path("in/" + name + "/img" + std::to_string(i) + ".png"), w, h, channels, px);
      by_class[name].push_back(px);
    }
  }
  for (const auto& [name, images] : by_class) {  // std::map: alphabetical, as the converter
    for (const auto& px : images) {
      expected->insert(expected->end(), px.begin(), px.end());
      labels->push_back(name == "ant" ? 0 : 1);
    }
  }
}

TEST(ConvertPng, RoundTripGreyAndRgb) {
  for (const int channels : {1, 3}) {
    TempDir dir;
    std::vector<uint8_t> expected;
    std::vector<int64_t> labels;
    write_png_classes(dir, channels, &expected, &labels);
    ConvertOptions o;
    o.out_dir = dir.path("out");
    o.shard_size = 2;
    const ConvertResult r = convert_png(dir.path("in"), o);
    EXPECT_EQ(r.shards.size(), 3u);
    EXPECT_EQ(r.class_names, (std::vector<std::string>{"ant", "zebra"}));
    const DatasetInfo info = open_dataset(dir.path("out"));
    EXPECT_EQ(info.total, 5);
    EXPECT_EQ(info.channels, channels);
    EXPECT_EQ(info.height, 3);
    EXPECT_EQ(info.width, 5);
    const auto all = read_all<uint8_t>(info);
    EXPECT_EQ(all.images, expected) << channels << " channel(s)";
    EXPECT_EQ(all.labels, labels);
    const DatasetSummary s = inspect_dataset(dir.path("out"));
    EXPECT_EQ(s.class_names, (std::vector<std::string>{"ant", "zebra"}));
    EXPECT_EQ(s.label_counts.at(0), 3);
    EXPECT_EQ(s.label_counts.at(1), 2);
  }
}

TEST(ConvertPng, RejectsMixedSizesAndChannels) {
  TempDir dir;
  std::vector<uint8_t> expected;
  std::vector<int64_t> labels;
  write_png_classes(dir, 1, &expected, &labels);
  const std::string odd = dir.path("in/zebra/odd.png");
  write_png(odd, 4, 3, 1, pattern_bytes(12, 9));
  ConvertOptions o;
  o.out_dir = dir.path("out");
  expect_contains(error_of([&] { convert_png(dir.path("in"), o); }),
                  {odd, "4x3 grey", "expected 5x3 grey", "one size and channel count"});
  EXPECT_FALSE(fs::exists(dir.path("out/shard-00000.h5")));
  write_png(odd, 5, 3, 3, pattern_bytes(45, 9));
  expect_contains(error_of([&] { convert_png(dir.path("in"), o); }),
                  {odd, "5x3 RGB", "expected 5x3 grey"});
  std::ofstream(odd, std::ios::binary) << "not a png";
  expect_contains(error_of([&] { convert_png(dir.path("in"), o); }), {odd, "not a readable PNG"});
  fs::create_directories(dir.path("none"));
  expect_contains(error_of([&] { convert_png(dir.path("none"), o); }),
                  {dir.path("none"), "no *.png files"});
}

TEST(ConvertSynthetic, DeterministicWhateverTheShardSize) {
  TempDir dir;
  ConvertOptions a;
  a.out_dir = dir.path("a");
  a.shard_size = 7;
  ConvertOptions b = a;
  b.out_dir = dir.path("b");
  b.shard_size = 100;
  b.gzip = true;
  ConvertOptions c = b;
  c.out_dir = dir.path("c");
  EXPECT_EQ(convert_synthetic(20, 3, 4, 5, 42, 10, a).shards.size(), 3u);
  EXPECT_EQ(convert_synthetic(20, 3, 4, 5, 42, 10, b).shards.size(), 1u);
  convert_synthetic(20, 3, 4, 5, 43, 10, c);
  const auto ra = read_all<uint8_t>(open_dataset(dir.path("a")));
  const auto rb = read_all<uint8_t>(open_dataset(dir.path("b")));
  const auto rc = read_all<uint8_t>(open_dataset(dir.path("c")));
  ASSERT_EQ(ra.images.size(), 20u * 60);
  EXPECT_EQ(ra.images, rb.images);
  EXPECT_EQ(ra.labels, rb.labels);
  EXPECT_NE(ra.images, rc.images);
  for (int64_t l : ra.labels) EXPECT_TRUE(l >= 0 && l < 10);
  expect_contains(error_of([&] { convert_synthetic(0, 3, 4, 5, 1, 10, a); }), {"--count 0"});
  expect_contains(error_of([&] { convert_synthetic(5, 0, 4, 5, 1, 10, a); }), {"--shape 0,4,5"});
}

// A conversion writes into a hidden temporary folder beside OUT and renames it into place once
// every shard is complete: a cancelled or failed one leaves neither OUT nor the temporary folder.
TEST(ConvertSynthetic, AllOrNothing) {
  TempDir dir;
  ConvertOptions o;
  o.out_dir = dir.path("out");
  o.shard_size = 10;
  int asked = 0;
  o.cancelled = [&] { return ++asked == 3; };  // during the third shard
  expect_contains(error_of([&] { convert_synthetic(50, 1, 4, 4, 1, 3, o); }),
                  {"interrupted", "nothing was written to " + dir.path("out")});
  EXPECT_EQ(dir.files(), std::vector<std::string>{}) << "no output folder, no temporary one";

  o.cancelled = nullptr;
  EXPECT_EQ(convert_synthetic(50, 1, 4, 4, 1, 3, o).shards.size(), 5u);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"out"});
  // --overwrite swaps the whole folder: the new conversion's shards only.
  o.overwrite = true;
  o.shard_size = 25;
  EXPECT_EQ(convert_synthetic(50, 1, 4, 4, 1, 3, o).shards.size(), 2u);
  EXPECT_EQ(dir.files("out"), (std::vector<std::string>{"shard-00000.h5", "shard-00001.h5"}));
  EXPECT_EQ(dir.files(), std::vector<std::string>{"out"});
  // A folder holding other files is never replaced.
  std::ofstream(dir.path("out/README")) << "mine";
  expect_contains(error_of([&] { convert_synthetic(50, 1, 4, 4, 1, 3, o); }),
                  {"holds files that are not shards", "README"});
  EXPECT_TRUE(fs::exists(dir.path("out/shard-00000.h5")));
}

// A folder with a shard writer's temporary file, or a conversion's temporary folder, is not a
// whole data set: readers refuse it, naming what is wrong.
TEST(OpenDataset, RefusesLeftoversOfAnUnfinishedWrite) {
  TempDir dir;
  ConvertOptions o;
  o.out_dir = dir.path("out");
  convert_synthetic(20, 1, 4, 4, 1, 3, o);
  fs::copy_file(dir.path("out/shard-00000.h5"), dir.path("out/shard-00001.h5.tmp-99"));
  for (const std::string& pattern : {dir.path("out"), dir.path("out/shard-*.h5")})
    expect_contains(error_of([&] { open_dataset(pattern); }),
                    {"shard-00001.h5.tmp-99", "interrupted write"});
  fs::create_directories(dir.path(".out.partial-99-abc"));
  fs::copy_file(dir.path("out/shard-00000.h5"), dir.path(".out.partial-99-abc/shard-00000.h5"));
  expect_contains(error_of([&] { open_dataset(dir.path(".out.partial-99-abc")); }),
                  {"temporary folder of a conversion that did not finish"});
}

TEST(InspectDataset, HistogramMeanAndStd) {
  TempDir dir;
  // Four 1x1x2 images: values 0, 2, 4, ... 14; labels 1, 1, 2, 7.
  std::vector<uint8_t> images(8);
  for (int i = 0; i < 8; ++i) images[i] = static_cast<uint8_t>(2 * i);
  write_idx(dir.path("im"), {4, 1, 2}, images, false);
  write_idx(dir.path("lab"), {4}, {1, 1, 2, 7}, false);
  ConvertOptions o;
  o.out_dir = dir.path("out");
  o.shard_size = 3;
  convert_idx(dir.path("im"), dir.path("lab"), o);
  const DatasetSummary s = inspect_dataset(dir.path("out/shard-*.h5"));
  EXPECT_EQ(s.info.shards.size(), 2u);
  EXPECT_EQ(s.info.total, 4);
  EXPECT_EQ(s.label_counts, (std::map<int64_t, int64_t>{{1, 2}, {2, 1}, {7, 1}}));
  EXPECT_DOUBLE_EQ(s.mean, 7.0);
  EXPECT_NEAR(s.stddev, std::sqrt(21.0), 1e-9);  // population std of 0, 2, ..., 14
}

}  // namespace
}  // namespace strata
