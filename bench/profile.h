// `strata bench --profile`: where a step's time goes. Each layer's forward and backward is run on
// its own with buffers of the benchmark's shapes, `reps` times, and the median of each is printed
// (to `out`) beside the loss, zero_grads and optimizer step, so a slow layer can be named with
// numbers. Run after the timed windows; it changes the model's parameters' gradients only.
#pragma once

#include <cstdio>

#include "bench/step.h"

namespace strata::bench {

void profile_step(TrainStep& step, const Tensor& real, int reps, std::FILE* out);

}  // namespace strata::bench
