// strata bench --model NAME --device cpu --steps N [--warmup N] [--windows N] [--threads N]
// Trains one benchmark model of bench/MODELS.md on data resident in memory and prints one
// JSON line per run: {"model", "device", "batch", "samples_per_s", "peak_rss_mb", "threads",
// "steps", "windows", "step_ms_median"}. Options: bench/args.h; models: bench/models.h; the
// training steps: bench/step.h; bench/pytorch_cpu.py is the same benchmark in PyTorch.
#pragma once

#include "bench/args.h"

namespace strata::bench {

// Runs the benchmark `o` asks for (a model's training step, the data reader or the all-reduce)
// and prints its JSON lines; returns the exit code.
int run(const BenchOptions& o);

}  // namespace strata::bench
