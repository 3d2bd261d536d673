// Converters from common image sources to Strata shards (docs/data-format.md), and a summary of
// a data set for `strata data inspect`. Shards are named OUT/shard-00000.h5, ... and hold uint8
// NHWC images (and int64 labels when the source has them). A conversion writes into a hidden
// temporary folder beside OUT and renames it to OUT only when every shard is complete: OUT is
// the whole data set or absent, never part of one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace strata {

struct ConvertOptions {
  std::string out_dir;
  int64_t shard_size = 10000;  // samples per shard (the last one may hold fewer)
  bool gzip = false;           // gzip level 4 + shuffle
  bool overwrite = false;      // replace shard-*.h5 files already in out_dir
  // Asked between batches; true stops the conversion (it throws, and writes nothing).
  std::function<bool()> cancelled;
};

struct ConvertResult {
  std::vector<std::string> shards;  // paths written, in order
  int64_t samples = 0;
  int64_t channels = 0, height = 0, width = 0;
  bool has_labels = false;
  std::vector<std::string> class_names;  // png: the sub-folder names, label i = class_names[i]
};

// MNIST-style IDX files (gzip'd or not): images N x H x W, labels N (labels_path may be "").
ConvertResult convert_idx(const std::string& images_path, const std::string& labels_path,
                          const ConvertOptions& options);

// A folder of PNG images: with sub-folders, each is a class (sorted by name, labels 0..K-1) and
// its *.png files the samples; without, the folder's *.png files, unlabelled. All images must
// have one size and channel count (grey 1, grey+alpha 2, RGB 3, RGBA 4).
ConvertResult convert_png(const std::string& input_dir, const ConvertOptions& options);

// `count` deterministic random uint8 images of C x H x W with labels in [0, classes), from `seed`.
ConvertResult convert_synthetic(int64_t count, int64_t channels, int64_t height, int64_t width,
                                uint64_t seed, int64_t classes, const ConvertOptions& options);

struct DatasetSummary {
  DatasetInfo info;
  std::map<int64_t, int64_t> label_counts;  // label -> samples
  double mean = 0, stddev = 0;              // over every stored pixel value
  std::vector<std::string> class_names;     // from the first shard's attribute, if any
};

// Reads every shard of `pattern` (pixels included) and summarises it.
DatasetSummary inspect_dataset(const std::string& pattern, const DatasetOptions& options = {});

}  // namespace strata
