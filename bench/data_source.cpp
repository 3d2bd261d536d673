#include "bench/data_source.h"

#include <cstdlib>
#include <filesystem>

#include "bench/step.h"
#include "core/backend.h"
#include "core/data/convert.h"
#include "core/data/reader.h"
#include "core/error.h"

namespace strata::bench {

namespace {

class ResidentSource final : public BenchData {
 public:
  ResidentSource(const ModelInfo& info, const Shape& sample, int64_t batch, int count,
                 uint64_t seed, Device device)
      : data_(info, sample, batch, count, seed, device) {}
  const Tensor& next(uint64_t step) override {
    return data_.batch_view(static_cast<int64_t>(step));
  }
  const char* kind() const override { return "resident"; }

 private:
  ResidentData data_;
};

class ReaderSource final : public BenchData {
 public:
  ReaderSource(const DatasetInfo& info, const ModelInfo& model, const Shape& sample, int64_t batch,
               uint64_t seed, Device device)
      : sample_(sample), reader_(info, options(model, batch, seed, device)) {
    reader_.start(0, 0);
  }
  const Tensor& next(uint64_t) override {
    const Batch& b = reader_.next();
    current_ = b.images.reshaped(batched(b.size, sample_));
    return current_;
  }
  double last_wait_ms() const override { return reader_.last_wait_ms(); }
  const char* kind() const override { return "reader"; }

 private:
  static ReaderOptions options(const ModelInfo& model, int64_t batch, uint64_t seed,
                               Device device) {
    ReaderOptions o;
    o.device = device;
    o.stream = backend_for(device).stream();
    o.global_batch = batch;
    o.seed = seed;
    o.scale = model.kind == ModelKind::kGan ? PixelScale::kSymmetric : PixelScale::kUnit;
    return o;
  }
  Shape sample_;
  DataReader reader_;
  Tensor current_;
};

// Synthetic shards of `sample`'s size, cached per shape and count.
std::string synthetic_shards(const Shape& sample, int64_t count, uint64_t seed) {
  int64_t c = 1, h = 1, w = sample.numel();
  if (sample.rank() == 3) {
    c = sample[0];
    h = sample[1];
    w = sample[2];
  }
  const char* tmp = std::getenv("TMPDIR");
  const std::filesystem::path dir = std::filesystem::path(tmp && *tmp ? tmp : "/tmp") /
                                    "strata-bench" /
                                    (std::to_string(c) + "x" + std::to_string(h) + "x" +
                                     std::to_string(w) + "-" + std::to_string(count));
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return dir.string();
  // A conversion makes its folder only once every shard is written (core/data/convert.h), so a
  // concurrent or interrupted run never sees a half-written cache.
  ConvertOptions co;
  co.out_dir = dir.string();
  co.shard_size = (count + 1) / 2;  // two shards, so batches cross a shard boundary
  co.overwrite = true;              // another run may have made the same cache meanwhile
  convert_synthetic(count, c, h, w, seed, 10, co);
  return dir.string();
}

}  // namespace

std::unique_ptr<BenchData> make_bench_data(const std::string& spec, const ModelInfo& info,
                                           const Shape& sample, int64_t batch, int resident_batches,
                                           uint64_t seed, Device device) {
  if (spec == "resident")
    return std::make_unique<ResidentSource>(info, sample, batch, resident_batches, seed, device);
  const std::string path = spec == "synthetic"
                               ? synthetic_shards(sample, std::max<int64_t>(8 * batch, 4096), seed)
                               : spec;
  DatasetInfo data = open_dataset(path);
  STRATA_CHECK(data.sample_values() == sample.numel(),
               "--data " << path << ": samples of " << data.channels << "x" << data.height << "x"
                         << data.width << " do not fit model " << info.name << " (input "
                         << sample.str() << ")");
  STRATA_CHECK(data.total >= batch, "--data " << path << ": " << data.total
                                              << " samples, fewer than one batch of " << batch);
  return std::make_unique<ReaderSource>(data, info, sample, batch, seed, device);
}

}  // namespace strata::bench
