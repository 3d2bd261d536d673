// The alternating GAN steps, data-parallel, shared by `strata train` and `strata bench`.
//
// d_step: z ~ N(0, 1) keyed by (seed, latent, step, global sample index) -> fake = G(z) (train
//   mode; G's activations are kept for g_step) -> D on the real batch with label 1, then on the
//   fake with label 0, binary cross-entropy on logits, D's gradients accumulated over both
//   backwards; only the second backward all-reduces D's buckets (a layer must not report twice)
//   -> D's optimizer step.
// g_step: D on the last d_step's fake with label 1 (the non-saturating loss, maximising
//   log D(G(z))) -> backward through a frozen D (input gradient only, D not reduced) -> G's
//   backward with G's buckets all-reduced -> G's optimizer step.
// With k discriminator steps per generator step, call d_step k times, then g_step once.
#pragma once

#include <cstdint>

#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "trainers/parallel_net.h"

namespace strata {

struct GanLosses {
  float d_loss = 0.0f;  // D's loss on real plus D's loss on fake (this rank's samples)
  float g_loss = 0.0f;  // the generator's non-saturating loss
};

class GanStep {
 public:
  // z_sample: the shape of one latent vector ({100} or {100, 1, 1}).
  GanStep(ParallelNet& g, ParallelNet& d, Optimizer& opt_g, Optimizer& opt_d, const Shape& z_sample,
          uint64_t seed);
  // real: this rank's samples. Returns D's loss.
  float d_step(const Tensor& real, const BatchPosition& pos);
  // Trains G on the fake of the last d_step (same batch size and position). Returns G's loss.
  float g_step();

  const Tensor& latent() const { return z_; }

 private:
  void draw_latent(int64_t n, const BatchPosition& pos);
  void size_labels(const Shape& logits);

  ParallelNet& g_;
  ParallelNet& d_;
  Optimizer& opt_g_;
  Optimizer& opt_d_;
  Shape z_sample_;
  uint64_t seed_;
  BCEWithLogitsLoss bce_;
  Tensor z_, ones_, zeros_, dlogit_;
  const Tensor* fake_ = nullptr;  // G's output of the last d_step
  BatchPosition pos_;
  float scale_ = 1.0f;
};

}  // namespace strata
