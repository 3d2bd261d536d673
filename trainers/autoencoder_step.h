// One data-parallel training step of an autoencoder, shared by `strata train` and `strata bench`:
// (corrupt the input, for a denoising model) -> forward -> MSE against the clean input -> scale
// the loss gradient by this rank's share of the global batch -> backward, with the network's
// gradient buckets all-reduced as backward produces them -> optimizer step. Every random draw
// that touches a sample is keyed by (seed, step, global sample index), never by rank, so the
// result does not depend on how the global batch is split.
#pragma once

#include <cstdint>

#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "trainers/parallel_net.h"

namespace strata {

struct AutoencoderStepOptions {
  uint64_t seed = 0;
  float mask_probability = 0.0f;  // denoising: each input value set to 0 with this probability
};

class AutoencoderStep {
 public:
  AutoencoderStep(ParallelNet& net, Optimizer& opt, const AutoencoderStepOptions& o);
  // x: this rank's samples [n, sample...]; returns the reconstruction MSE of this rank's samples.
  float run(const Tensor& x, const BatchPosition& pos);

 private:
  void corrupt(const Tensor& x, const BatchPosition& pos);

  ParallelNet& pnet_;
  Optimizer& opt_;
  AutoencoderStepOptions o_;
  MSELoss mse_;
  Tensor noisy_, dy_;
};

}  // namespace strata
