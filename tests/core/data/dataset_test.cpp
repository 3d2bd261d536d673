// open_dataset(): pattern expansion, files from other tools, and every bad input's message.
#include "core/data/dataset.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include "core/data/shard_writer.h"
#include "core/error.h"
#include "tests/core/data/data_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::create_h5;
using testing::error_of;
using testing::expect_contains;
using testing::read_all;
using testing::TempDir;
using testing::write_dataset;

// A Strata shard of `n` samples of C x H x W, values i % 251 (uint8) or i / 2 (float32).
void write_shard(const std::string& path, int64_t n, int64_t c, int64_t h, int64_t w,
                 PixelType dtype = PixelType::kUint8, PixelLayout layout = PixelLayout::kNHWC,
                 bool labels = true) {
  ShardWriterOptions o;
  o.channels = c;
  o.height = h;
  o.width = w;
  o.dtype = dtype;
  o.layout = layout;
  o.labels = labels;
  const size_t values = static_cast<size_t>(n * c * h * w);
  std::vector<uint8_t> u8(values);
  std::vector<float> f32(values);
  for (size_t i = 0; i < values; ++i) {
    u8[i] = static_cast<uint8_t>(i % 251);
    f32[i] = static_cast<float>(i) / 2;
  }
  std::vector<int64_t> lab(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) lab[i] = i % 3;
  ShardWriter writer(path, n, o);
  writer.append(dtype == PixelType::kUint8 ? static_cast<const void*>(u8.data()) : f32.data(),
                labels ? lab.data() : nullptr, n);
  writer.finish();
}

TEST(OpenDataset, ExpandsFoldersAndGlobsInPathOrder) {
  TempDir dir;
  fs::create_directories(dir.path("d"));
  write_shard(dir.path("d/shard-00001.h5"), 3, 1, 2, 2);
  write_shard(dir.path("d/shard-00000.h5"), 5, 1, 2, 2);
  write_shard(dir.path("d/shard-00002.h5"), 4, 1, 2, 2);
  std::ofstream(dir.path("d/notes.txt")) << "not a shard";
  for (const std::string& pattern : {dir.path("d"), dir.path("d/shard-*.h5")}) {
    const DatasetInfo info = open_dataset(pattern);
    ASSERT_EQ(info.shards.size(), 3u) << pattern;
    EXPECT_EQ(info.shards[0].path, dir.path("d/shard-00000.h5"));
    EXPECT_EQ(info.shards[0].count, 5);
    EXPECT_EQ(info.shards[1].count, 3);
    EXPECT_EQ(info.shards[2].count, 4);
    EXPECT_EQ(info.total, 12);
    EXPECT_EQ(info.sample_values(), 4);
  }
  EXPECT_EQ(open_dataset(dir.path("d/shard-00001.h5")).total, 3);
}

// An HDF5 file written the way h5py writes one: f.create_dataset('x', data=float32 NCHW array),
// f.create_dataset('y', data=int32 labels), no attributes at all.
TEST(OpenDataset, ReadsFilesFromOtherToolsWhenNamed) {
  TempDir dir;
  const std::string path = dir.path("from_h5py.h5");
  const int n = 4, c = 3, h = 2, w = 5;
  std::vector<float> x(n * c * h * w);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f - 1;
  const std::vector<int32_t> y = {3, 1, 4, 1};
  hid_t f = create_h5(path);
  write_dataset(f, "x", H5T_NATIVE_FLOAT, {n, c, h, w}, x.data());
  write_dataset(f, "y", H5T_NATIVE_INT32, {n}, y.data());
  H5Fclose(f);

  DatasetOptions o;
  o.images = "x";
  o.labels = "y";
  o.require_labels = true;
  o.default_layout = PixelLayout::kNCHW;
  const DatasetInfo info = open_dataset(path, o);
  EXPECT_EQ(info.channels, c);
  EXPECT_EQ(info.height, h);
  EXPECT_EQ(info.width, w);
  EXPECT_EQ(info.dtype, PixelType::kFloat32);
  EXPECT_EQ(info.layout, PixelLayout::kNCHW);
  ASSERT_TRUE(info.has_labels);
  const auto all = read_all<float>(info);
  EXPECT_EQ(all.images, x);
  EXPECT_EQ(all.labels, (std::vector<int64_t>{3, 1, 4, 1}));

  // With the default names the same file is an error that says what it holds.
  expect_contains(error_of([&] { open_dataset(path); }),
                  {path, "'/images' is missing", "/x, /y", "images: ..."});
  // Without labels named, none are read.
  o.labels = "";
  o.require_labels = false;
  EXPECT_FALSE(open_dataset(path, o).has_labels);
}

TEST(OpenDataset, AcceptsThreeDimensionalGreyImages) {
  TempDir dir;
  const std::string path = dir.path("grey.h5");
  std::vector<uint8_t> x(2 * 3 * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i);
  hid_t f = create_h5(path);
  write_dataset(f, "images", H5T_NATIVE_UINT8, {2, 3, 4}, x.data());
  H5Fclose(f);
  const DatasetInfo info = open_dataset(path);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.height, 3);
  EXPECT_EQ(info.width, 4);
  EXPECT_FALSE(info.has_labels);
  EXPECT_EQ(read_all<uint8_t>(info).images, x);
}

TEST(OpenDatasetErrors, NoFileMatches) {
  TempDir dir;
  const std::string pattern = dir.path("nothing-*.h5");
  expect_contains(error_of([&] { open_dataset(pattern); }),
                  {"no shard file matches", pattern, "strata data convert"});
  fs::create_directories(dir.path("empty"));
  expect_contains(error_of([&] { open_dataset(dir.path("empty")); }), {dir.path("empty")});
}

TEST(OpenDatasetErrors, NotHdf5) {
  TempDir dir;
  const std::string path = dir.write("text.h5", "these are not the images you are looking for\n");
  expect_contains(error_of([&] { open_dataset(path); }), {path, "not an HDF5 file"});
}

TEST(OpenDatasetErrors, Truncated) {
  TempDir dir;
  const std::string path = dir.path("cut.h5");
  write_shard(path, 50, 1, 16, 16);
  fs::resize_file(path, fs::file_size(path) / 2);
  expect_contains(error_of([&] { open_dataset(path); }), {path, "truncated"});
}

TEST(OpenDatasetErrors, DatasetMissing) {
  TempDir dir;
  const std::string path = dir.path("a.h5");
  write_shard(path, 2, 1, 2, 2);
  DatasetOptions o;
  o.images = "pixels";
  expect_contains(error_of([&] { open_dataset(path, o); }),
                  {path, "'/pixels' is missing", "/images, /labels"});
  o = {};
  o.labels = "targets";
  o.require_labels = true;
  expect_contains(error_of([&] { open_dataset(path, o); }),
                  {path, "'/targets' is missing", "labels are required"});
}

TEST(OpenDatasetErrors, ShardsDisagree) {
  TempDir dir;
  fs::create_directories(dir.path("s"));
  write_shard(dir.path("s/a.h5"), 2, 1, 4, 4);
  {
    fs::create_directories(dir.path("shape"));
    fs::copy(dir.path("s/a.h5"), dir.path("shape/a.h5"));
    write_shard(dir.path("shape/b.h5"), 2, 1, 5, 4);
    expect_contains(error_of([&] { open_dataset(dir.path("shape")); }),
                    {"image shape", "'/images'", dir.path("shape/a.h5"), dir.path("shape/b.h5"),
                     "1x5x4", "1x4x4"});
  }
  {
    fs::create_directories(dir.path("dtype"));
    fs::copy(dir.path("s/a.h5"), dir.path("dtype/a.h5"));
    write_shard(dir.path("dtype/b.h5"), 2, 1, 4, 4, PixelType::kFloat32);
    expect_contains(error_of([&] { open_dataset(dir.path("dtype")); }),
                    {"dtype", dir.path("dtype/a.h5"), dir.path("dtype/b.h5"), "float32", "uint8"});
  }
  {
    fs::create_directories(dir.path("layout"));
    fs::copy(dir.path("s/a.h5"), dir.path("layout/a.h5"));
    write_shard(dir.path("layout/b.h5"), 2, 1, 4, 4, PixelType::kUint8, PixelLayout::kNCHW);
    expect_contains(error_of([&] { open_dataset(dir.path("layout")); }),
                    {"layout", dir.path("layout/a.h5"), dir.path("layout/b.h5"), "NCHW", "NHWC"});
  }
  {
    fs::create_directories(dir.path("labels"));
    fs::copy(dir.path("s/a.h5"), dir.path("labels/a.h5"));
    write_shard(dir.path("labels/b.h5"), 2, 1, 4, 4, PixelType::kUint8, PixelLayout::kNHWC, false);
    expect_contains(error_of([&] { open_dataset(dir.path("labels")); }),
                    {"labels", dir.path("labels/a.h5"), dir.path("labels/b.h5")});
  }
}

TEST(OpenDatasetErrors, LabelCountDiffersFromImageCount) {
  TempDir dir;
  const std::string path = dir.path("a.h5");
  const std::vector<uint8_t> x(5 * 4);
  const std::vector<int64_t> y(4);
  hid_t f = create_h5(path);
  write_dataset(f, "images", H5T_NATIVE_UINT8, {5, 2, 2, 1}, x.data());
  write_dataset(f, "labels", H5T_NATIVE_INT64, {4}, y.data());
  H5Fclose(f);
  expect_contains(error_of([&] { open_dataset(path); }),
                  {path, "'/labels' has 4 labels", "5", "'/images'"});
}

TEST(OpenDatasetErrors, EmptyShard) {
  TempDir dir;
  const std::string path = dir.path("empty.h5");
  hid_t f = create_h5(path);
  write_dataset(f, "images", H5T_NATIVE_UINT8, {0, 2, 2, 1}, nullptr);
  H5Fclose(f);
  expect_contains(error_of([&] { open_dataset(path); }), {path, "'/images' is empty", "0 samples"});
}

TEST(OpenDatasetErrors, WrongTypesAndAttributes) {
  TempDir dir;
  const std::vector<float> yf(3);
  const std::vector<int16_t> x16(3 * 4);
  const std::vector<uint8_t> x8(3 * 4);
  {
    const std::string path = dir.path("float_labels.h5");
    hid_t f = create_h5(path);
    write_dataset(f, "images", H5T_NATIVE_UINT8, {3, 2, 2, 1}, x8.data());
    write_dataset(f, "labels", H5T_NATIVE_FLOAT, {3}, yf.data());
    H5Fclose(f);
    expect_contains(error_of([&] { open_dataset(path); }),
                    {path, "'/labels' holds float32", "integer"});
  }
  {
    const std::string path = dir.path("int16.h5");
    hid_t f = create_h5(path);
    write_dataset(f, "images", H5T_NATIVE_INT16, {3, 2, 2, 1}, x16.data());
    H5Fclose(f);
    expect_contains(error_of([&] { open_dataset(path); }),
                    {path, "'/images' holds int16", "uint8 or float32"});
  }
  {
    const std::string path = dir.path("rank2.h5");
    hid_t f = create_h5(path);
    write_dataset(f, "images", H5T_NATIVE_UINT8, {3, 4}, x8.data());
    H5Fclose(f);
    expect_contains(error_of([&] { open_dataset(path); }), {path, "'/images' has 2 dimensions"});
  }
  {
    const std::string path = dir.path("layout.h5");
    write_shard(path, 2, 1, 2, 2);
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, "images", H5P_DEFAULT);
    H5Adelete(ds, "layout");
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 4);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(ds, "layout", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, "HWCN");  // a fixed-length string, as some tools write
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(ds);
    H5Fclose(f);
    expect_contains(error_of([&] { open_dataset(path); }),
                    {path, "'/images'", "'HWCN'", "'NHWC' or 'NCHW'"});
  }
}

}  // namespace
}  // namespace strata
