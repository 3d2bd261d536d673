// `strata scale --measure`: the compute time of one training step of a benchmark model on this
// machine's device, at a few batch sizes, for the compute model of bench/scaling_model.h. The
// step is `strata bench`'s (bench/step.h, data resident), on one process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/scaling_model.h"

namespace strata::scaling {

// With `threads` CPU threads (0: every core, as `strata bench`). For each batch: 2 untimed steps,
// then the median of `steps` timed ones (each ended by a device synchronisation). device: "cpu",
// "cuda" or "auto".
std::vector<ComputeSample> measure_step_ms(const std::string& model,
                                           const std::vector<int64_t>& batches,
                                           const std::string& device, int64_t steps,
                                           int threads = 0);

}  // namespace strata::scaling
