// strata bench --reader PATH|GLOB [--batch N] [--steps N] [--warmup N] [--windows N]
//                                 [--prefetch N] [--seed N]
// The throughput of one DataReader thread (core/data/reader.h) over shards in the page cache:
// every shard is read once to warm the cache, then `windows` windows of `steps` batches are
// timed while the caller only takes batches. Prints one JSON line: {"bench": "reader", "path",
// "batch", "samples_per_s" (median window), "prefetch", "steps", "windows", "samples",
// "shards", "shape", "dtype", "stored_mb_per_s", "batch_ms_median"}.
#pragma once

#include "bench/args.h"

namespace strata::bench {

int run_reader_bench(const BenchOptions& options);

}  // namespace strata::bench
