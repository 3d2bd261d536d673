// DataReader: exactly-once coverage per epoch over 1-4 simulated ranks with uneven shards, the
// epoch order, layouts, scaling, labels, resume, and read errors that surface in next().
//
// Every test shard holds 1 x 3 x 3 images (H x W x C = 1 x 3 x 3) whose values encode the
// global sample index g: value(c, p) = g + 25 c + 75 p (< 256), label = g + 100, so a batch
// says which samples it holds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/data/reader.h"
#include "core/data/shard_writer.h"
#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kC = 3, kH = 1, kW = 3, kValues = kC * kH * kW;
const std::vector<int64_t> kShardSizes = {7, 13, 5};
constexpr int64_t kTotal = 25;

float value(int64_t g, int64_t c, int64_t p) {
  return static_cast<float>(g + 25 * c + 75 * p);
}

// Writes the shards of one data set into `dir` (created afresh).
void write_dataset(const fs::path& dir, PixelType dtype, PixelLayout layout, bool gzip = false) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  ShardWriterOptions o;
  o.channels = kC;
  o.height = kH;
  o.width = kW;
  o.dtype = dtype;
  o.layout = layout;
  o.labels = true;
  o.gzip = gzip;
  o.chunk_samples = 4;  // runs cross chunk boundaries
  int64_t g0 = 0;
  for (size_t s = 0; s < kShardSizes.size(); ++s) {
    const int64_t n = kShardSizes[s];
    std::vector<uint8_t> u8(static_cast<size_t>(n * kValues));
    std::vector<float> f32(u8.size());
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t g = g0 + i;
      labels[static_cast<size_t>(i)] = g + 100;
      for (int64_t c = 0; c < kC; ++c)
        for (int64_t p = 0; p < kH * kW; ++p) {
          const int64_t at = layout == PixelLayout::kNHWC ? p * kC + c : c * kH * kW + p;
          u8[static_cast<size_t>(i * kValues + at)] = static_cast<uint8_t>(value(g, c, p));
          f32[static_cast<size_t>(i * kValues + at)] = value(g, c, p) / 255.0f;
        }
    }
    ShardWriter w((dir / ("part-" + std::to_string(s) + ".h5")).string(), n, o);
    w.append(dtype == PixelType::kUint8 ? static_cast<const void*>(u8.data()) : f32.data(),
             labels.data(), n);
    w.finish();
    g0 += n;
  }
}

class Reader : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir() = std::make_unique<testing::TempDir>("strata_reader_test");
    root() = dir()->root();
    write_dataset(root() / "nhwc", PixelType::kUint8, PixelLayout::kNHWC);
    write_dataset(root() / "nchw", PixelType::kUint8, PixelLayout::kNCHW, true);
    write_dataset(root() / "f32", PixelType::kFloat32, PixelLayout::kNCHW);
  }
  static void TearDownTestSuite() { dir().reset(); }
  static std::unique_ptr<testing::TempDir>& dir() {
    static std::unique_ptr<testing::TempDir> d;
    return d;
  }
  static fs::path& root() {
    static fs::path p;
    return p;
  }
  static DatasetInfo dataset(const std::string& name) {
    return open_dataset((root() / name).string());
  }
};

ReaderOptions options(int64_t batch, int rank = 0, int world = 1, bool drop_last = true,
                      uint64_t seed = 1) {
  ReaderOptions o;
  o.global_batch = batch;
  o.rank = rank;
  o.world = world;
  o.drop_last = drop_last;
  o.seed = seed;
  o.scale = PixelScale::kNone;
  return o;
}

// The global indices of a batch, checked against its pixels and labels.
std::vector<int64_t> indices_of(const Batch& b) {
  std::vector<int64_t> out;
  for (int64_t r = 0; r < b.size; ++r) {
    const int64_t g = b.indices[r];
    out.push_back(g);
    for (int64_t c = 0; c < kC; ++c)
      for (int64_t p = 0; p < kH * kW; ++p)
        EXPECT_EQ(b.images[r * kValues + c * kH * kW + p], value(g, c, p))
            << "row " << r << " c " << c << " p " << p;
    EXPECT_EQ(b.labels[r], static_cast<float>(g + 100));
  }
  return out;
}

// The first `epochs` epochs of a reader as lists of batches of global indices.
std::vector<std::vector<int64_t>> read_batches(DataReader& r, int64_t count) {
  std::vector<std::vector<int64_t>> out;
  for (int64_t i = 0; i < count; ++i) out.push_back(indices_of(r.next()));
  return out;
}

TEST_F(Reader, ExactlyOncePerEpochAcrossRanks) {
  const DatasetInfo info = dataset("nhwc");
  ASSERT_EQ(info.total, kTotal);
  for (int world : {1, 2, 3, 4}) {
    for (int64_t batch : {4, 6, 7, 10, 30}) {
      for (bool drop_last : {true, false}) {
        SCOPED_TRACE("world " + std::to_string(world) + " batch " + std::to_string(batch) +
                     (drop_last ? " drop_last" : " pad"));
        if (drop_last && batch > kTotal) {
          EXPECT_THROW((DataReader{info, options(batch, 0, world, drop_last)}), Error);
          continue;
        }
        DataReader single(info, options(batch, 0, 1, drop_last));
        single.start(0);
        std::vector<std::unique_ptr<DataReader>> ranks;
        for (int r = 0; r < world; ++r) {
          ranks.push_back(std::make_unique<DataReader>(info, options(batch, r, world, drop_last)));
          ranks.back()->start(0);
        }
        const int64_t steps = single.steps_per_epoch();
        EXPECT_EQ(steps, drop_last ? kTotal / batch : (kTotal + batch - 1) / batch);
        for (int64_t epoch = 0; epoch < 2; ++epoch) {
          std::map<int64_t, int> seen;
          for (int64_t s = 0; s < steps; ++s) {
            const Batch& ref = single.next();
            const std::vector<int64_t> whole = indices_of(ref);
            ASSERT_EQ(static_cast<int64_t>(whole.size()), batch);
            std::vector<int64_t> joined;
            int64_t lo = batch, hi = 0;
            for (int r = 0; r < world; ++r) {
              const Batch& b = ranks[static_cast<size_t>(r)]->next();
              EXPECT_EQ(b.epoch, epoch);
              EXPECT_EQ(b.step_in_epoch, s);
              EXPECT_EQ(b.global_offset, s * batch + r * batch / world);
              lo = std::min(lo, b.size);
              hi = std::max(hi, b.size);
              for (int64_t g : indices_of(b)) {
                joined.push_back(g);
                ++seen[g];
              }
            }
            EXPECT_LE(hi - lo, 1);
            EXPECT_EQ(joined, whole);  // rank slices are contiguous parts of the global batch
          }
          if (drop_last) {
            EXPECT_EQ(static_cast<int64_t>(seen.size()), steps * batch);
            for (auto [g, n] : seen) EXPECT_EQ(n, 1) << "sample " << g;
          } else {
            EXPECT_EQ(static_cast<int64_t>(seen.size()), kTotal);
            int64_t sum = 0;
            for (auto [g, n] : seen) sum += n;
            EXPECT_EQ(sum, steps * batch);
            // Padding repeats samples only for the last batch's remainder.
            for (auto [g, n] : seen) EXPECT_LE(n, 1 + (batch + kTotal - 1) / kTotal);
          }
        }
      }
    }
  }
}

TEST_F(Reader, OrderDependsOnSeedAndEpochOnly) {
  const DatasetInfo info = dataset("nhwc");
  DataReader a(info, options(5)), b(info, options(5)), c(info, options(5, 0, 1, true, 2));
  a.start(0);
  b.start(0);
  c.start(0);
  const int64_t steps = a.steps_per_epoch();
  const auto a0 = read_batches(a, steps), a1 = read_batches(a, steps);
  const auto b0 = read_batches(b, steps), c0 = read_batches(c, steps);
  EXPECT_EQ(a0, b0);
  EXPECT_NE(a0, a1);
  EXPECT_NE(a0, c0);

  ReaderOptions o = options(5);
  o.shuffle = false;
  DataReader plain(info, o);
  plain.start(0);
  for (int64_t s = 0; s < steps; ++s) {
    const auto got = indices_of(plain.next());
    for (int64_t r = 0; r < 5; ++r) EXPECT_EQ(got[static_cast<size_t>(r)], s * 5 + r);
  }
}

TEST_F(Reader, LayoutsAndDtypesGiveTheSameTensors) {
  const DatasetInfo nhwc = dataset("nhwc"), nchw = dataset("nchw"), f32 = dataset("f32");
  EXPECT_EQ(nchw.layout, PixelLayout::kNCHW);
  ReaderOptions o = options(6);
  o.scale = PixelScale::kUnit;
  DataReader a(nhwc, o), b(nchw, o), c(f32, o);
  a.start(0);
  b.start(0);
  c.start(0);
  for (int64_t s = 0; s < 2 * a.steps_per_epoch(); ++s) {
    const Batch &x = a.next(), &y = b.next(), &z = c.next();
    ASSERT_EQ(x.images.shape(), (Shape{6, kC, kH, kW}));
    ASSERT_EQ(y.images.shape(), x.images.shape());
    ASSERT_EQ(z.images.shape(), x.images.shape());
    for (int64_t i = 0; i < x.images.numel(); ++i) {
      EXPECT_EQ(x.images[i], y.images[i]);
      EXPECT_NEAR(x.images[i], z.images[i], 1e-6);
    }
    for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(x.labels[i], z.labels[i]);
  }
}

TEST_F(Reader, ScalesPixels) {
  const DatasetInfo info = dataset("nhwc");
  for (PixelScale scale : {PixelScale::kUnit, PixelScale::kSymmetric, PixelScale::kNone}) {
    ReaderOptions o = options(8);
    o.scale = scale;
    DataReader r(info, o);
    r.start(0);
    const Batch& b = r.next();
    for (int64_t i = 0; i < b.size; ++i)
      for (int64_t c = 0; c < kC; ++c)
        for (int64_t p = 0; p < kH * kW; ++p) {
          const float v = value(b.indices[i], c, p);
          const float want = scale == PixelScale::kUnit        ? v / 255.0f
                             : scale == PixelScale::kSymmetric ? v / 127.5f - 1.0f
                                                               : v;
          EXPECT_NEAR(b.images[i * kValues + c * kH * kW + p], want, 1e-6);
        }
  }
  // float32 files are not rescaled.
  ReaderOptions o = options(8);
  o.scale = PixelScale::kSymmetric;
  DataReader r(dataset("f32"), o);
  r.start(0);
  const Batch& b = r.next();
  EXPECT_FLOAT_EQ(b.images[0], value(b.indices[0], 0, 0) / 255.0f);
}

TEST_F(Reader, ResumeGivesTheSameBatchesAsContinuing) {
  const DatasetInfo info = dataset("nhwc");
  for (int rank : {0, 1}) {
    DataReader a(info, options(6, rank, 2)), b(info, options(6, rank, 2));
    const int64_t steps = a.steps_per_epoch();
    a.start(0);
    const auto all = read_batches(a, 3 * steps);
    b.start(1, 2);
    const auto resumed = read_batches(b, 2 * steps - 2);
    EXPECT_EQ(resumed, std::vector<std::vector<int64_t>>(all.begin() + steps + 2, all.end()));
    // Restarting a reader that is part-way through an epoch.
    a.start(2, 1);
    EXPECT_EQ(indices_of(a.next()), all[static_cast<size_t>(2 * steps + 1)]);
    a.start(0, 0);
    EXPECT_EQ(indices_of(a.next()), all[0]);
  }
}

TEST_F(Reader, RejectsBadOptions) {
  const DatasetInfo info = dataset("nhwc");
  EXPECT_THROW((DataReader{info, options(4, 2, 2)}), Error);
  EXPECT_THROW((DataReader{info, options(2, 0, 3)}), Error);
  ReaderOptions o = options(4);
  o.prefetch = 0;
  EXPECT_THROW((DataReader{info, o}), Error);
  DataReader r(info, options(4));
  EXPECT_THROW(r.next(), Error);  // not started
  EXPECT_THROW(r.start(0, r.steps_per_epoch()), Error);
}

// A shard that disappears or is overwritten after open_dataset() makes next() throw.
TEST_F(Reader, ReadErrorsSurfaceInNext) {
  for (bool remove : {true, false}) {
    SCOPED_TRACE(remove ? "removed" : "corrupted");
    const fs::path dir = root() / "broken";
    write_dataset(dir, PixelType::kUint8, PixelLayout::kNHWC);
    const DatasetInfo info = open_dataset(dir.string());
    const fs::path victim = dir / "part-1.h5";
    if (remove) {
      fs::remove(victim);
    } else {
      const auto size = fs::file_size(victim);
      std::ofstream(victim, std::ios::binary | std::ios::trunc) << std::string(size, 'x');
    }
    ReaderOptions o = options(4);
    o.shuffle = false;  // shard 1 is first read at step 1
    DataReader r(info, o);
    r.start(0);
    std::string message;
    for (int64_t s = 0; s < r.steps_per_epoch() && message.empty(); ++s) {
      try {
        r.next();
      } catch (const Error& e) {
        message = e.what();
      }
    }
    EXPECT_NE(message.find("part-1.h5"), std::string::npos) << message;
    EXPECT_THROW(r.next(), Error);  // stays failed, never hangs
  }
}

TEST_F(Reader, ReportsNoWaitWhenTheBatchIsReady) {
  ReaderOptions o = options(5);
  o.prefetch = 3;
  DataReader r(dataset("nhwc"), o);
  r.start(0);
  // The reader fills its ring (the loop is bounded only against a hang).
  for (int i = 0; i < 100000 && r.batches_ready() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GE(r.batches_ready(), 3);
  for (int i = 0; i < 3; ++i) {
    r.next();
    EXPECT_EQ(r.last_wait_ms(), 0.0);
  }
}

// Destroyed mid-epoch (the reader thread waiting for a free slot, or reading), the reader stops
// and joins its thread; a destructor that waited for the rest of the epoch would hang the test.
TEST_F(Reader, DestroyMidEpochStopsTheReaderThread) {
  const DatasetInfo info = dataset("nhwc");
  for (int i = 0; i < 20; ++i) {
    ReaderOptions o = options(5);
    o.prefetch = 3;
    DataReader r(info, o);
    r.start(0);
    if (i % 2) r.next();
    EXPECT_GE(r.last_wait_ms(), 0.0);
    EXPECT_LE(r.batches_ready(), 4);  // never more than the ring (prefetch + 1) ahead
  }
  { DataReader never_started(info, options(5)); }
}

// A reader for the emulated device delivers each batch in device memory (refused by the host
// accessors) holding exactly the host batch's values, across epochs and a restart.
TEST_F(Reader, DeliversBatchesOnTheDevice) {
  const DatasetInfo info = dataset("nchw");
  ReaderOptions host_opt = options(6, 1, 2, false);
  ReaderOptions dev_opt = host_opt;
  dev_opt.device = Device::emulated();
  DataReader host(info, host_opt), dev(info, dev_opt);
  const int64_t steps = 2 * host.steps_per_epoch() + 1;
  for (int pass = 0; pass < 2; ++pass) {
    host.start(pass, 1);
    dev.start(pass, 1);
    for (int64_t i = 0; i < steps; ++i) {
      const Batch& h = host.next();
      const Batch& d = dev.next();
      ASSERT_EQ(d.images.device(), Device::emulated());
      ASSERT_EQ(d.labels.device(), Device::emulated());
      ASSERT_TRUE(d.host_images.on_cpu());
      EXPECT_THROW((void)d.images[0], Error);
      ASSERT_EQ(d.size, h.size);
      const Tensor images = d.images.to(Device::cpu()), labels = d.labels.to(Device::cpu());
      for (int64_t v = 0; v < h.images.numel(); ++v) {
        ASSERT_EQ(images[v], h.images[v]) << "step " << i << " value " << v;
        ASSERT_EQ(d.host_images[v], h.images[v]) << "step " << i << " value " << v;
      }
      for (int64_t r = 0; r < h.size; ++r) ASSERT_EQ(labels[r], h.labels[r]);
    }
  }
}

}  // namespace
}  // namespace strata
