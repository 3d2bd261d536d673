// strata bench --model NAME --device cpu --steps N [--warmup N] [--windows N] [--threads N]
// Trains one benchmark model of shared/bench/MODELS.md on data resident in memory and prints one
// JSON line per run: {"model", "device", "batch", "samples_per_s", "peak_rss_mb", "threads",
// "steps", "windows", "step_ms_median"}. Options: bench/args.h; models: bench/models.h; the
// training steps: bench/step.h; bench/pytorch_cpu.py is the same benchmark in PyTorch.
#pragma once

#include <string>
#include <vector>

namespace strata::bench {

int run(const std::vector<std::string>& args);

}  // namespace strata::bench
