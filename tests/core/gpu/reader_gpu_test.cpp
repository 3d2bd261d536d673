// The reader delivering batches to a GPU: pinned host buffers, copies on a copy stream, and the
// values on the device equal to the host batch's, step after step (the slots are reused while
// earlier copies and steps may still be queued).
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/reader.h"
#include "core/data/shard_writer.h"
#include "tests/core/gpu/op_check.h"
#include "tests/support/temp_dir.h"

namespace strata {
namespace {

TEST(ReaderGpu, DeliversPinnedBatchesOnTheGpu) {
  testing::TempDir dir("strata_reader_gpu");
  const int64_t n = 1000, c = 1, h = 28, w = 28;
  {
    ShardWriterOptions o;
    o.channels = c;
    o.height = h;
    o.width = w;
    o.labels = true;
    ShardWriter sw(dir.path("part-0.h5"), n, o);
    std::vector<uint8_t> pixels(static_cast<size_t>(n * c * h * w));
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7 % 251);
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = i % 10;
    sw.append(pixels.data(), labels.data(), n);
    sw.finish();
  }
  const DatasetInfo info = open_dataset(dir.root().string());
  ReaderOptions ho;
  ho.global_batch = 256;
  ReaderOptions go = ho;
  go.device = Device::cuda(0);
  go.stream = gpu_test::gpu().stream();
  DataReader host(info, ho), dev(info, go);
  host.start(0);
  dev.start(0);
  for (int step = 0; step < 10; ++step) {
    const Batch& hb = host.next();
    const Batch& db = dev.next();
    ASSERT_EQ(db.images.device(), Device::cuda(0));
    cudaPointerAttributes attr{};
    ASSERT_EQ(cudaPointerGetAttributes(&attr, db.host_images.data()), cudaSuccess);
    EXPECT_EQ(attr.type, cudaMemoryTypeHost) << "host buffers are pinned";
    // A step's worth of work on the model's stream, then the values.
    const std::vector<float> got = gpu_test::download(db.images);
    const std::vector<float> want(hb.images.data(), hb.images.data() + hb.images.numel());
    ASSERT_TRUE(gpu_test::close(got, want, 0.0f, 0.0f, "images of step " + std::to_string(step)));
    const std::vector<float> lab = gpu_test::download(db.labels);
    for (int64_t r = 0; r < hb.size; ++r) ASSERT_EQ(lab[r], hb.labels[r]);
  }
}

}  // namespace
}  // namespace strata
