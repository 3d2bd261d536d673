// HDF5 image shards: the metadata of a data set and the file-level reads (docs/data-format.md).
//
// A data set is a list of shards (HDF5 files), each holding `count` images of one shape and
// dtype under an images dataset (default "/images", N x H x W x C or N x C x H x W as its
// `layout` attribute says) and optionally int64 labels (default "/labels", length N).
// open_dataset() reads metadata only (no pixels) and checks that every shard agrees; a
// ShardFile keeps its HDF5 file open and reads runs of whole samples.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata {

enum class PixelType { kUint8, kFloat32 };
enum class PixelLayout { kNHWC, kNCHW };

// How to read files: Strata's own shards need nothing; files written by other tools (h5py, say)
// name their datasets and layout here (the `data` section of a config).
struct DatasetOptions {
  std::string images = "images";  // dataset name in each file
  std::string labels = "labels";  // "" = no labels
  bool require_labels = false;
  // Used when a file has no `layout` attribute (files from other tools); Strata shards have one.
  PixelLayout default_layout = PixelLayout::kNHWC;
};

struct ShardInfo {
  std::string path;
  int64_t count = 0;
};

struct DatasetInfo {
  std::vector<ShardInfo> shards;  // sorted by path
  int64_t total = 0;              // samples over all shards
  int64_t channels = 0, height = 0, width = 0;
  PixelType dtype = PixelType::kUint8;
  PixelLayout layout = PixelLayout::kNHWC;
  bool has_labels = false;
  DatasetOptions options;
  int64_t sample_values() const { return channels * height * width; }
};

// Expands `pattern` (a file, a directory of *.h5 files, or a glob), reads each shard's metadata
// and checks them against each other. Throws strata::Error naming the file and dataset, what
// was found and what was expected: no file matches; not HDF5 or truncated; dataset missing;
// shapes, dtypes or layouts disagree; label count differs from image count; an empty shard.
DatasetInfo open_dataset(const std::string& pattern, const DatasetOptions& options = {});

// One open shard. Reads are thread-compatible (one ShardFile per reading thread).
class ShardFile {
 public:
  ShardFile(const ShardInfo& shard, const DatasetInfo& info);
  ~ShardFile();
  ShardFile(const ShardFile&) = delete;
  ShardFile& operator=(const ShardFile&) = delete;

  // Samples [first, first + count) of this shard as stored (dtype and layout of the file):
  // count * sample_values() values of `sample_bytes` each into `out`.
  void read_images(int64_t first, int64_t count, void* out);
  void read_labels(int64_t first, int64_t count, int64_t* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
