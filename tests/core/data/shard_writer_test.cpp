#include "core/data/shard_writer.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include "core/data/dataset.h"
#include "core/error.h"
#include "tests/core/data/data_test_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using testing::error_of;
using testing::expect_contains;
using testing::read_all;
using testing::TempDir;

std::string string_attr(hid_t obj, const char* name) {
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t type = H5Aget_type(attr);
  char* s = nullptr;
  H5Aread(attr, type, &s);
  std::string v = s ? s : "";
  H5free_memory(s);
  H5Tclose(type);
  H5Aclose(attr);
  return v;
}

TEST(ShardWriter, RoundTripUint8NhwcWithLabels) {
  TempDir dir;
  const std::string path = dir.path("a.h5");
  ShardWriterOptions o;
  o.channels = 3;
  o.height = 2;
  o.width = 4;
  o.labels = true;
  std::vector<uint8_t> images(7 * 24);
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(i * 7 + 1);
  const std::vector<int64_t> labels = {5, 0, 3, 3, 1, 9, 2};
  {
    ShardWriter w(path, 7, o);
    w.append(images.data(), labels.data(), 3);
    EXPECT_FALSE(fs::exists(path)) << "the final name appears only after finish()";
    w.append(images.data() + 3 * 24, labels.data() + 3, 4);
    w.finish();
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path("")), fs::directory_iterator()), 1)
      << "no temporary file left behind";

  const DatasetInfo info = open_dataset(path);
  EXPECT_EQ(info.total, 7);
  EXPECT_EQ(info.channels, 3);
  EXPECT_EQ(info.height, 2);
  EXPECT_EQ(info.width, 4);
  EXPECT_EQ(info.dtype, PixelType::kUint8);
  EXPECT_EQ(info.layout, PixelLayout::kNHWC);
  EXPECT_TRUE(info.has_labels);
  const auto all = read_all<uint8_t>(info);
  EXPECT_EQ(all.images, images);
  EXPECT_EQ(all.labels, labels);

  {  // A run in the middle.
    ShardFile f(info.shards[0], info);
    std::vector<uint8_t> part(2 * 24);
    f.read_images(4, 2, part.data());
    EXPECT_TRUE(std::equal(part.begin(), part.end(), images.begin() + 4 * 24));
    int64_t lab[2];
    f.read_labels(4, 2, lab);
    EXPECT_EQ(lab[0], 1);
    EXPECT_EQ(lab[1], 9);
    expect_contains(error_of([&] { f.read_images(6, 2, part.data()); }), {path, "[6, 8)", "7"});
  }

  // The attributes of the format.
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_EQ(string_attr(file, "format"), "strata-shard");
  EXPECT_EQ(string_attr(file, "layout"), "NHWC");
  int64_t version = 0;
  hid_t va = H5Aopen(file, "version", H5P_DEFAULT);
  H5Aread(va, H5T_NATIVE_INT64, &version);
  H5Aclose(va);
  EXPECT_EQ(version, 1);
  hid_t images_ds = H5Dopen2(file, "/images", H5P_DEFAULT);
  EXPECT_EQ(string_attr(images_ds, "layout"), "NHWC");
  hid_t space = H5Dget_space(images_ds);
  hsize_t dims[4];
  ASSERT_EQ(H5Sget_simple_extent_dims(space, dims, nullptr), 4);
  EXPECT_EQ(dims[0], 7u);
  EXPECT_EQ(dims[1], 2u);
  EXPECT_EQ(dims[2], 4u);
  EXPECT_EQ(dims[3], 3u);
  H5Sclose(space);
  H5Dclose(images_ds);
  H5Fclose(file);
}

TEST(ShardWriter, RoundTripFloat32NchwGzipChunkedBySamples) {
  TempDir dir;
  const std::string path = dir.path("b.h5");
  ShardWriterOptions o;
  o.channels = 2;
  o.height = 3;
  o.width = 3;
  o.dtype = PixelType::kFloat32;
  o.layout = PixelLayout::kNCHW;
  o.gzip = true;
  o.chunk_samples = 4;
  std::vector<float> images(10 * 18);
  for (size_t i = 0; i < images.size(); ++i) images[i] = 0.25f * static_cast<float>(i) - 3.0f;
  {
    ShardWriter w(path, 10, o);
    w.append(images.data(), nullptr, 10);
    w.finish();
  }
  const DatasetInfo info = open_dataset(path);
  EXPECT_EQ(info.dtype, PixelType::kFloat32);
  EXPECT_EQ(info.layout, PixelLayout::kNCHW);
  EXPECT_EQ(info.channels, 2);
  EXPECT_FALSE(info.has_labels);
  EXPECT_EQ(read_all<float>(info).images, images);

  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ds = H5Dopen2(file, "/images", H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(ds);
  EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
  hsize_t chunk[4];
  ASSERT_EQ(H5Pget_chunk(dcpl, 4, chunk), 4);
  EXPECT_EQ(chunk[0], 4u);
  EXPECT_EQ(chunk[1], 2u);  // whole samples: C, H, W complete
  EXPECT_EQ(chunk[2], 3u);
  EXPECT_EQ(chunk[3], 3u);
  EXPECT_EQ(H5Pget_nfilters(dcpl), 2);  // shuffle + deflate
  H5Pclose(dcpl);
  H5Dclose(ds);
  H5Fclose(file);
}

TEST(ShardWriter, InterruptedWriteLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.path("c.h5");
  ShardWriterOptions o;
  o.labels = true;
  const uint8_t px[2] = {1, 2};
  const int64_t lab[2] = {0, 1};
  {
    ShardWriter w(path, 5, o);
    w.append(px, lab, 2);
    // Destroyed here without finish(), as when a conversion throws half way.
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path(""))) << "the temporary file is removed too";

  // finish() before the shard is full is an error, and leaves nothing under the final name.
  {
    ShardWriter w(path, 5, o);
    w.append(px, lab, 2);
    expect_contains(error_of([&] { w.finish(); }), {path, "2 samples", "5"});
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path("")));
}

TEST(ShardWriter, RejectsMisuse) {
  TempDir dir;
  const std::string path = dir.path("d.h5");
  ShardWriterOptions o;
  expect_contains(error_of([&] { ShardWriter w(path, 0, o); }), {path, "0 samples"});
  const uint8_t px[4] = {};
  const int64_t lab[4] = {};
  ShardWriter w(path, 3, o);
  expect_contains(error_of([&] { w.append(px, nullptr, 4); }), {path, "capacity of 3"});
  expect_contains(error_of([&] { w.append(px, lab, 1); }), {path, "labels given"});
  expect_contains(error_of([&] { ShardWriter x(dir.path("no/such/dir/e.h5"), 1, o); }),
                  {"no/such/dir/e.h5", "writable"});
}

}  // namespace
}  // namespace strata
