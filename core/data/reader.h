// The distributed prefetching reader over a data set of shards.
//
// One global sample index spans all shards (in path order). Each epoch is a permutation of it
// drawn from (seed, epoch), identical on every rank. Global batch b of the epoch is positions
// [b*B, (b+1)*B) of the permutation; rank r of w takes positions [b*B + r*B/w ...) - its
// contiguous slice of the global batch (sizes differ by at most one when w does not divide B) -
// so that across ranks every sample is seen exactly once per epoch. The last partial global
// batch is dropped (drop_last) or completed with samples from the start of the permutation.
// A background thread reads `prefetch` batches ahead into reused buffers; uint8 pixels are
// converted to float and scaled to [0, 1] or [-1, 1] in the loader, and images always come out
// NCHW whatever the file layout. With a device other than the CPU, the thread also copies each
// batch there as soon as it is read (pinned host memory and a copy stream on a GPU;
// core/data/device_upload.h), so the next batch moves while the current step runs.
#pragma once

#include <cstdint>
#include <memory>

#include "core/data/dataset.h"
#include "core/tensor.h"

namespace strata {

enum class PixelScale { kUnit, kSymmetric, kNone };  // [0, 1], [-1, 1], as stored

struct ReaderOptions {
  int64_t global_batch = 256;
  int rank = 0, world = 1;
  uint64_t seed = 1;
  bool shuffle = true;
  bool drop_last = true;
  int prefetch = 2;  // batches read ahead
  PixelScale scale = PixelScale::kUnit;
  // Where the batches are used, and the stream that uses them (the model's backend's).
  Device device = Device::cpu();
  Stream stream = nullptr;
};

struct Batch {
  Tensor images;                     // [n, C, H, W] float32, NCHW, on the reader's device
  Tensor labels;                     // [n] class indices as floats (empty without labels), ditto
  Tensor host_images, host_labels;   // the same on the host (the very tensors on the CPU)
  const int64_t* indices = nullptr;  // global sample index of each row (n of them)
  int64_t size = 0;                  // n: this rank's share of the global batch
  int64_t global_offset = 0;         // position of this rank's first sample within the epoch
  int64_t epoch = 0, step_in_epoch = 0;
};

class DataReader {
 public:
  DataReader(const DatasetInfo& info, const ReaderOptions& options);
  ~DataReader();  // stops and joins the background thread
  DataReader(const DataReader&) = delete;
  DataReader& operator=(const DataReader&) = delete;

  int64_t steps_per_epoch() const;
  // Starts (or restarts) at `epoch`, step `step` within it (resume).
  void start(int64_t epoch, int64_t step = 0);
  // The next batch; valid until the next call. Crosses epochs by itself. A read error on the
  // background thread is rethrown here. On a device, work queued on options.stream after this
  // call sees the batch's device tensors.
  const Batch& next();
  // Milliseconds the last next() waited for data (0 when the batch was ready).
  double last_wait_ms() const;
  // Batches read ahead and waiting for next(): at most `prefetch`, or prefetch + 1 before the
  // first next() (no slot is held yet).
  int64_t batches_ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata
