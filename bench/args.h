// The options of `strata bench`: what to time and how. The command line that fills them (and
// checks them) is cli/bench_flags.h; the benchmarks only read them.
#pragma once

#include <cstdint>
#include <string>

namespace strata::bench {

struct BenchOptions {
  std::string model;               // --model NAME (required): a model of bench/MODELS.md
  std::string device = "cpu";      // --device cpu | cuda | auto (core/device_select.h)
  std::string precision = "fp32";  // --precision fp32 | tf32 | bf16 (core/precision.h)
  std::string cuda_graphs = "on";  // --cuda-graphs on | off: replay each step as a CUDA graph
  int64_t steps = 10;              // --steps N: timed steps per window
  int64_t warmup = 5;              // --warmup N: untimed steps first
  int64_t windows = 3;  // --windows N (alias --repeats): timed windows; the median is reported
  int threads = 0;      // --threads N: CPU threads; 0 = all cores
  int64_t batch = 0;    // --batch N: overrides the model's batch size; 0 = MODELS.md's
  std::string data = "synthetic";  // --data synthetic|resident|PATH (see data_source.h)
  int64_t data_batches = 4;        // --data-batches N: resident batches, cycled
  uint64_t seed = 1;               // --seed N
  bool profile = false;            // --profile: per-layer times to stderr after the run
  std::string reader;              // --reader PATH|GLOB: time the data reader instead of a model
  int prefetch = 2;                // --prefetch N: the reader's batches read ahead (with --reader)
  bool comm = false;               // --comm: time the all-reduce instead of a model
  int64_t bytes = 0;               // --bytes N: one message size (with --comm); 0 = 4 KB..64 MB
  int64_t iters = 20;              // --iters N: timed all-reduces per size (with --comm)
  double bucket_mb = 25.0;         // --bucket-mb X: the reducer's bucket size (with --comm)
};

}  // namespace strata::bench
