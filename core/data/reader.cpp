// DataReader: the epoch order, each rank's slice of a global batch, and a background thread
// that reads batches ahead into a ring of reused slots (core/data/reader.h).
//
// Handoff: the ring has prefetch + 1 slots - the one the caller holds since its last next()
// and `prefetch` being filled or ready. `produced`, `consumed` and `released` count batches;
// the reader fills slot produced % R while produced - released < R, next() releases the slot
// it held and takes slot consumed % R once produced > consumed. All three, the stop flag and a
// stored error are guarded by one mutex; the pixels are written outside it.
#include "core/data/reader.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "core/data/device_upload.h"
#include "core/error.h"
#include "core/rng.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;

// Fisher-Yates permutation of [0, n) drawn from (seed, epoch): the same on every rank.
void permutation(std::vector<int64_t>& order, uint64_t seed, uint64_t epoch) {
  std::iota(order.begin(), order.end(), 0);
  RandomStream rng(seed, RngPurpose::kShuffle, 0, epoch, 0);
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) {
    const uint64_t r = (uint64_t{rng.next_u32()} << 32) | rng.next_u32();
    std::swap(order[i], order[r % static_cast<uint64_t>(i + 1)]);
  }
}

// One sample from the file's dtype and layout into NCHW floats: dst = src * a + b. The
// channel loop is innermost on the (interleaved) source so that the compiler vectorises it.
template <typename T, int kC>
void convert_nhwc(const T* src, float* dst, int64_t hw, float a, float b) {
  for (int64_t p = 0; p < hw; ++p)
    for (int c = 0; c < kC; ++c) dst[c * hw + p] = static_cast<float>(src[p * kC + c]) * a + b;
}

template <typename T>
void convert_nhwc_any(const T* src, float* dst, int64_t channels, int64_t hw, float a, float b) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t p = 0; p < hw; ++p)
      dst[c * hw + p] = static_cast<float>(src[p * channels + c]) * a + b;
}

template <typename T>
void convert_sample(const T* src, float* dst, const DatasetInfo& info, float a, float b) {
  const int64_t hw = info.height * info.width, n = info.sample_values();
  if (info.layout == PixelLayout::kNCHW || info.channels == 1) {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) * a + b;
  } else if (info.channels == 3) {
    convert_nhwc<T, 3>(src, dst, hw, a, b);
  } else {
    convert_nhwc_any(src, dst, info.channels, hw, a, b);
  }
}

}  // namespace

struct DataReader::Impl {
  struct Slot {
    Batch batch;
    std::vector<int64_t> indices;
  };

  DatasetInfo info;
  ReaderOptions opt;
  std::vector<int64_t> offsets;  // offsets[s]: global index of shard s's first sample
  int64_t rank_first = 0;        // this rank's slice of a global batch: [first, first + n)
  int64_t n = 0;
  int64_t steps = 0;

  // Owned by the reader thread while it runs (and by start() while it does not).
  std::vector<std::unique_ptr<ShardFile>> files;  // opened on first use, kept open
  std::vector<int64_t> order;                     // the current epoch's permutation
  int64_t order_epoch = -1;
  std::vector<std::pair<int64_t, int64_t>> sorted;  // (global index, row), sorted by index
  std::vector<unsigned char> staging;               // one run of samples as stored
  std::vector<int64_t> staging_labels;

  std::vector<Slot> slots;
  std::unique_ptr<DeviceUpload> upload;  // null on the CPU
  std::thread thread;
  std::mutex mu;
  std::condition_variable space, ready;
  int64_t produced = 0, consumed = 0, released = 0;
  bool holding = false, stop = false, started = false;
  std::exception_ptr error;
  double wait_ms = 0;

  int64_t ring() const { return static_cast<int64_t>(slots.size()); }
  void stop_thread();
  void run(int64_t epoch, int64_t step);
  void fill(Slot& slot, int64_t epoch, int64_t step);
  void read_run(int64_t shard, int64_t first, int64_t count,
                const std::pair<int64_t, int64_t>* rows, Slot& slot);
  bool stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stop;
  }
};

void DataReader::Impl::stop_thread() {
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  space.notify_all();
  if (thread.joinable()) thread.join();
}

void DataReader::Impl::run(int64_t epoch, int64_t step) {
  try {
    for (;;) {
      int64_t k;
      {
        std::unique_lock<std::mutex> lock(mu);
        space.wait(lock, [&] { return stop || produced - released < ring(); });
        if (stop) return;
        k = produced % ring();
      }
      Slot& slot = slots[static_cast<size_t>(k)];
      if (upload) upload->before_fill(static_cast<int>(k));
      fill(slot, epoch, step);
      if (upload && !stopping()) {
        upload->upload(static_cast<int>(k), slot.batch.host_images, slot.batch.images);
        if (info.has_labels)
          upload->upload(static_cast<int>(k), slot.batch.host_labels, slot.batch.labels);
        upload->finish_upload(static_cast<int>(k));
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop) return;
        ++produced;
      }
      ready.notify_one();
      if (++step == steps) {
        step = 0;
        ++epoch;
      }
    }
  } catch (const Error&) {
    std::lock_guard<std::mutex> lock(mu);
    error = std::current_exception();
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu);
    try {
      STRATA_THROW("the data reader's thread failed: " << e.what());
    } catch (const Error&) {
      error = std::current_exception();
    }
  }
  ready.notify_all();
}

void DataReader::Impl::fill(Slot& slot, int64_t epoch, int64_t step) {
  if (order_epoch != epoch) {
    if (opt.shuffle) {
      permutation(order, opt.seed, static_cast<uint64_t>(epoch));
    } else {
      std::iota(order.begin(), order.end(), 0);
    }
    order_epoch = epoch;
  }
  const int64_t first = step * opt.global_batch + rank_first;
  for (int64_t j = 0; j < n; ++j) {
    // Past the end only when padding: the batch is completed from the start of the order.
    const int64_t idx = order[static_cast<size_t>((first + j) % info.total)];
    slot.indices[static_cast<size_t>(j)] = idx;
    sorted[static_cast<size_t>(j)] = {idx, j};
  }
  std::sort(sorted.begin(), sorted.end());

  // Runs of consecutive samples within one shard, each read with one call.
  int64_t j = 0;
  while (j < n) {
    const int64_t idx = sorted[static_cast<size_t>(j)].first;
    const int64_t shard =
        std::upper_bound(offsets.begin(), offsets.end(), idx) - offsets.begin() - 1;
    const int64_t shard_end = offsets[static_cast<size_t>(shard) + 1];
    int64_t len = 1;
    while (j + len < n && sorted[static_cast<size_t>(j + len)].first == idx + len &&
           idx + len < shard_end)
      ++len;
    read_run(shard, idx - offsets[static_cast<size_t>(shard)], len, &sorted[static_cast<size_t>(j)],
             slot);
    j += len;
    if (stopping()) return;
  }

  Batch& b = slot.batch;
  b.indices = slot.indices.data();
  b.size = n;
  b.global_offset = first;
  b.epoch = epoch;
  b.step_in_epoch = step;
}

void DataReader::Impl::read_run(int64_t shard, int64_t first, int64_t count,
                                const std::pair<int64_t, int64_t>* rows, Slot& slot) {
  auto& file = files[static_cast<size_t>(shard)];
  if (!file) file = std::make_unique<ShardFile>(info.shards[static_cast<size_t>(shard)], info);
  file->read_images(first, count, staging.data());
  if (info.has_labels) file->read_labels(first, count, staging_labels.data());

  const int64_t values = info.sample_values();
  float* images = slot.batch.host_images.data();
  float* labels = slot.batch.host_labels.data();
  for (int64_t i = 0; i < count; ++i) {
    const int64_t row = rows[i].second;
    float* dst = images + row * values;
    if (info.dtype == PixelType::kUint8) {
      float a = 1.0f, b = 0.0f;
      if (opt.scale == PixelScale::kUnit) {
        a = 1.0f / 255.0f;
      } else if (opt.scale == PixelScale::kSymmetric) {
        a = 1.0f / 127.5f;
        b = -1.0f;
      }
      convert_sample(staging.data() + i * values, dst, info, a, b);
    } else {
      convert_sample(reinterpret_cast<const float*>(staging.data()) + i * values, dst, info, 1.0f,
                     0.0f);
    }
    if (info.has_labels) labels[row] = static_cast<float>(staging_labels[static_cast<size_t>(i)]);
  }
}

DataReader::DataReader(const DatasetInfo& info, const ReaderOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.info = info;
  m.opt = options;
  const ReaderOptions& o = options;
  STRATA_CHECK(o.world >= 1 && o.rank >= 0 && o.rank < o.world,
               "data reader: rank " << o.rank << " of world " << o.world
                                    << " is not a valid rank; expected 0 <= rank < world");
  STRATA_CHECK(o.global_batch >= o.world, "data reader: the global batch ("
                                              << o.global_batch << ") is smaller than the world ("
                                              << o.world
                                              << " ranks); use a batch of at least one per rank");
  STRATA_CHECK(o.prefetch >= 1,
               "data reader: prefetch must be at least 1 batch, got " << o.prefetch);
  STRATA_CHECK(!info.shards.empty() && info.total > 0 && info.sample_values() > 0,
               "data reader: the data set is empty; open it with open_dataset()");
  m.offsets.assign(1, 0);
  for (const ShardInfo& s : info.shards) m.offsets.push_back(m.offsets.back() + s.count);
  STRATA_CHECK(m.offsets.back() == info.total,
               "data reader: the shards hold " << m.offsets.back()
                                               << " samples but the data set says " << info.total
                                               << "; open it with open_dataset()");
  m.rank_first = o.rank * o.global_batch / o.world;
  m.n = (o.rank + 1) * o.global_batch / o.world - m.rank_first;
  m.steps = o.drop_last ? info.total / o.global_batch
                        : (info.total + o.global_batch - 1) / o.global_batch;
  STRATA_CHECK(m.steps > 0, "data reader: the data set has "
                                << info.total << " samples, fewer than one global batch of "
                                << o.global_batch << " with drop_last; lower the batch size");
}

DataReader::~DataReader() {
  impl_->stop_thread();
}

int64_t DataReader::steps_per_epoch() const {
  return impl_->steps;
}

void DataReader::start(int64_t epoch, int64_t step) {
  Impl& m = *impl_;
  STRATA_CHECK(epoch >= 0 && step >= 0 && step < m.steps,
               "data reader: cannot start at epoch " << epoch << " step " << step
                                                     << "; an epoch has " << m.steps << " steps");
  m.stop_thread();
  if (m.slots.empty()) {  // the buffers, once
    const int64_t values = m.info.sample_values();
    const size_t bytes = m.info.dtype == PixelType::kUint8 ? 1 : sizeof(float);
    m.files.resize(m.info.shards.size());
    m.order.resize(static_cast<size_t>(m.info.total));
    m.sorted.resize(static_cast<size_t>(m.n));
    m.staging.resize(static_cast<size_t>(m.n * values) * bytes);
    if (m.info.has_labels) m.staging_labels.resize(static_cast<size_t>(m.n));
    m.slots.resize(static_cast<size_t>(m.opt.prefetch) + 1);
    const Device device = m.opt.device;
    if (!device.is_cpu())
      m.upload = DeviceUpload::make(device, m.opt.stream, static_cast<int>(m.slots.size()));
    const Shape images{m.n, m.info.channels, m.info.height, m.info.width};
    for (Impl::Slot& s : m.slots) {
      Batch& b = s.batch;
      b.host_images = m.upload ? m.upload->host_buffer(images) : Tensor(images);
      b.images = device.is_cpu() ? b.host_images : Tensor(images, device);
      if (m.info.has_labels) {
        b.host_labels = m.upload ? m.upload->host_buffer(Shape{m.n}) : Tensor(Shape{m.n});
        b.labels = device.is_cpu() ? b.host_labels : Tensor(Shape{m.n}, device);
      }
      s.indices.resize(static_cast<size_t>(m.n));
    }
  }
  m.produced = m.consumed = m.released = 0;
  m.holding = false;
  m.stop = false;
  m.error = nullptr;
  m.wait_ms = 0;
  m.started = true;
  m.thread = std::thread([&m, epoch, step] { m.run(epoch, step); });
}

const Batch& DataReader::next() {
  Impl& m = *impl_;
  STRATA_CHECK(m.started, "data reader: call start(epoch, step) before next()");
  std::unique_lock<std::mutex> lock(m.mu);
  if (m.holding) {
    if (m.upload) m.upload->release(static_cast<int>((m.consumed - 1) % m.ring()));
    ++m.released;
    m.holding = false;
    m.space.notify_one();
  }
  m.wait_ms = 0;
  if (m.produced == m.consumed && !m.error) {
    const auto t0 = Clock::now();
    m.ready.wait(lock, [&] { return m.produced > m.consumed || m.error; });
    m.wait_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  if (m.produced == m.consumed) std::rethrow_exception(m.error);
  const int64_t k = m.consumed++ % m.ring();
  m.holding = true;
  if (m.upload) m.upload->acquire(static_cast<int>(k));
  return m.slots[static_cast<size_t>(k)].batch;
}

double DataReader::last_wait_ms() const {
  return impl_->wait_ms;
}

int64_t DataReader::batches_ready() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->produced - impl_->consumed;
}

}  // namespace strata
