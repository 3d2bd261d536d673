// Writes Strata shards (docs/data-format.md): images (uint8 or float32, NHWC or NCHW as given)
// and optional int64 labels, chunked by whole samples, optional gzip + shuffle filters.
// A shard is written to "<path>.tmp-<pid>" and renamed to <path> by finish(), so an interrupted
// write never leaves a half shard under the final name; a writer destroyed without finish()
// removes its temporary file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace strata {

struct ShardWriterOptions {
  int64_t channels = 1, height = 1, width = 1;
  PixelType dtype = PixelType::kUint8;
  PixelLayout layout = PixelLayout::kNHWC;
  bool labels = false;
  bool gzip = false;                     // gzip level 4 + shuffle filter
  int64_t chunk_samples = 0;             // samples per chunk; 0 = chosen (about 1 MiB)
  std::vector<std::string> class_names;  // written as root attribute `class_names` when given
};

class ShardWriter {
 public:
  // `capacity`: the number of samples this shard will hold (its datasets' size).
  ShardWriter(const std::string& path, int64_t capacity, const ShardWriterOptions& options);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  // Appends `count` samples (values in the writer's dtype and layout) and their labels (null
  // when the shard has none).
  void append(const void* images, const int64_t* labels, int64_t count);
  // Checks that `capacity` samples were appended, closes and renames into place.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
