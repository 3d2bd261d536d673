#include "bench/reader_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include "bench/stats.h"
#include "core/data/dataset.h"
#include "core/data/reader.h"
#include "core/error.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Reads every byte of every shard so that the timed reads come from the page cache.
void warm_page_cache(const DatasetInfo& info) {
  std::vector<char> buf(size_t{1} << 20);
  for (const ShardInfo& s : info.shards) {
    std::ifstream in(s.path, std::ios::binary);
    STRATA_CHECK(in, s.path << ": cannot open the shard to warm the page cache");
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    }
  }
}

}  // namespace

int run_reader_bench(const BenchOptions& o) {
  const DatasetInfo info = open_dataset(o.reader);
  ReaderOptions ro;
  ro.global_batch = o.batch > 0 ? o.batch : 256;
  ro.seed = o.seed;
  ro.prefetch = o.prefetch;
  ro.drop_last = true;
  ro.scale = PixelScale::kUnit;
  warm_page_cache(info);

  DataReader reader(info, ro);
  reader.start(0);
  for (int64_t i = 0; i < o.warmup; ++i) reader.next();
  std::vector<double> window_s;
  for (int64_t w = 0; w < o.windows; ++w) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < o.steps; ++i) reader.next();
    window_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::vector<double> rates;
  for (double t : window_s) rates.push_back(static_cast<double>(o.steps * ro.global_batch) / t);
  const double rate = median(rates);
  const double value_bytes = info.dtype == PixelType::kUint8 ? 1.0 : 4.0;
  const double stored_mb_per_s =
      rate * static_cast<double>(info.sample_values()) * value_bytes / (1024.0 * 1024.0);

  std::printf(
      "{\"bench\": \"reader\", \"path\": \"%s\", \"batch\": %lld, \"samples_per_s\": %.1f, "
      "\"prefetch\": %d, \"steps\": %lld, \"windows\": %lld, \"samples\": %lld, \"shards\": %zu, "
      "\"shape\": \"%lldx%lldx%lld\", \"dtype\": \"%s\", \"stored_mb_per_s\": %.1f, "
      "\"batch_ms_median\": %.3f}\n",
      o.reader.c_str(), static_cast<long long>(ro.global_batch), rate, ro.prefetch,
      static_cast<long long>(o.steps), static_cast<long long>(o.windows),
      static_cast<long long>(info.total), info.shards.size(), static_cast<long long>(info.channels),
      static_cast<long long>(info.height), static_cast<long long>(info.width),
      info.dtype == PixelType::kUint8 ? "uint8" : "float32", stored_mb_per_s,
      median(window_s) / static_cast<double>(o.steps) * 1000.0);
  std::fflush(stdout);
  return 0;
}

}  // namespace strata::bench
