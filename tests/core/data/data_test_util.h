// Helpers for the data tests: small inputs written by the test itself (IDX, PNG, HDF5 files
// laid out the way h5py writes them) and a whole-data-set read.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>
#include <png.h>
#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "tests/core/config/config_test_util.h"

namespace strata::testing {

// An IDX file of unsigned bytes with the given dims, gzip'd when `gz`.
inline void write_idx(const std::string& path, const std::vector<uint32_t>& dims,
                      const std::vector<uint8_t>& values, bool gz) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>((d >> s) & 0xff));
  bytes.append(values.begin(), values.end());
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
  }
}

// An 8-bit PNG of `channels` (1 grey, 3 RGB) from HWC pixels.
inline void write_png(const std::string& path, int width, int height, int channels,
                      const std::vector<uint8_t>& hwc) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, hwc.data(), 0, nullptr))
      << image.message;
}

// Writes a dataset `name` of `type` (file type = memory type) with `dims` into an open file.
inline void write_dataset(hid_t file, const char* name, hid_t type, std::vector<hsize_t> dims,
                          const void* data) {
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dset, 0) << name;
  bool empty = false;
  for (hsize_t d : dims) empty = empty || d == 0;
  if (!empty) {
    ASSERT_GE(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
  }
  H5Dclose(dset);
  H5Sclose(space);
}

inline hid_t create_h5(const std::string& path) {
  return H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

// Every sample of a data set, as stored, with its labels.
template <typename T>
struct AllSamples {
  std::vector<T> images;
  std::vector<int64_t> labels;
};

template <typename T>
AllSamples<T> read_all(const DatasetInfo& info) {
  AllSamples<T> all;
  for (const ShardInfo& s : info.shards) {
    ShardFile f(s, info);
    std::vector<T> im(static_cast<size_t>(s.count * info.sample_values()));
    f.read_images(0, s.count, im.data());
    all.images.insert(all.images.end(), im.begin(), im.end());
    if (info.has_labels) {
      std::vector<int64_t> lab(static_cast<size_t>(s.count));
      f.read_labels(0, s.count, lab.data());
      all.labels.insert(all.labels.end(), lab.begin(), lab.end());
    }
  }
  return all;
}

}  // namespace strata::testing
