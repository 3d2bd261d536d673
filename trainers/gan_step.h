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
// With k discriminator steps per generator step, call d_step k times (d_index 0..k-1, each with
// its own z), then g_step once; G's parameters do not change during the D steps.
//
// Latent streams (RngPurpose::kLatent, by stream index): 0 = the first D step of a training step
// (and the bench), 1 = the fixed z of the sample grids (step 0), 2 = the generated images of
// `strata eval`, 16 + j = D step j >= 1 of a training step.
// One-sided label smoothing s: D's target for real samples is 1 - s (fakes stay 0, G's target 1).
//
// The steps' values stay on the networks' device (trainers/step_values.h), nothing is read back:
// "d_loss" (D's loss on real plus D's loss on fake, a float sum), "d_real" and "d_fake" (the mean
// sigmoid of D's logits on real and fake samples), each the mean over the k D steps, and "g_loss".
#pragma once

#include <cstdint>

#include "core/tensor.h"

#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "trainers/parallel_net.h"
#include "trainers/step_values.h"

namespace strata {

inline constexpr uint32_t kLatentSampleGrid = 1;  // the fixed z of the sample grids
inline constexpr uint32_t kLatentEval = 2;        // strata eval's generated images
// The latent stream of D step d_index (0..k-1) of a training step.
inline uint32_t d_step_latent_index(int d_index) {
  return d_index == 0 ? 0u : 16u + static_cast<uint32_t>(d_index);
}

// z [n, z_sample...] with row i ~ N(0, 1) from (seed, kLatent, index, step, first_sample + i),
// drawn on z's device (z is resized there). counter: when set, the step and first sample are read
// from it on the device instead (a step captured as a CUDA graph; core/ops/step_counter.h).
void draw_latents(Tensor& z, const Shape& z_sample, int64_t n, uint64_t seed, uint32_t index,
                  uint64_t step, int64_t first_sample, const StepCounter* counter = nullptr);

class GanStep {
 public:
  // z_sample: the shape of one latent vector ({100} or {100, 1, 1}). G and D live on one device,
  // where the step keeps its latent vectors, targets and values. d_steps: D steps per G step.
  GanStep(ParallelNet& g, ParallelNet& d, Optimizer& opt_g, Optimizer& opt_d, const Shape& z_sample,
          uint64_t seed, int d_steps = 1);
  // real: this rank's samples (on the networks' device, or the host: then copied there); d_index:
  // which of the step's D steps (keys its z and its slots of values()).
  void d_step(const Tensor& real, const BatchPosition& pos, int d_index = 0);
  // Trains G on the fake of the last d_step (same batch size and position).
  void g_step();
  // The values of the last training step (every D step and the G step), on the device.
  const StepValues& values() const { return values_; }

  const Tensor& latent() const { return z_; }
  // One-sided label smoothing: D's target for real samples becomes 1 - s (s in [0, 1)).
  void set_label_smoothing(float s);
  float label_smoothing() const { return smoothing_; }
  // Mean sigmoid(D(x)) of the last d_step's real and fake samples (this rank's), and that step's
  // and the last g_step's losses, on the host (one copy from a device): for tests and tools.
  float last_d_real() const { return read_slot(d_real_slot_ + d_index_); }
  float last_d_fake() const { return read_slot(d_fake_slot_ + d_index_); }
  float last_d_loss() const { return read_slot(d_loss_slot_ + d_index_); }
  float last_g_loss() const { return read_slot(g_loss_slot_); }

 private:
  void draw_latent(int64_t n, const BatchPosition& pos, int d_index);
  void size_labels(const Shape& logits);
  // The mean of sigmoid(logits) into *out, on their device.
  void mean_sigmoid(const Tensor& logits, float* out);
  float read_slot(int s) const { return values_.read_slots()[static_cast<size_t>(s)]; }

  ParallelNet& g_;
  ParallelNet& d_;
  Optimizer& opt_g_;
  Optimizer& opt_d_;
  Shape z_sample_;
  uint64_t seed_;
  BCEWithLogitsLoss bce_;
  Tensor real_, z_, ones_, zeros_, real_target_, dlogit_;  // on the networks' device
  bool targets_filled_ = false;   // ones_, zeros_, real_target_ hold their values
  const Tensor* fake_ = nullptr;  // G's output of the last d_step
  BatchPosition pos_;
  float scale_ = 1.0f;
  float smoothing_ = 0.0f;
  int d_steps_ = 1, d_index_ = 0;
  StepValues values_{"lower the optimizer's lr"};
  int d_loss_slot_ = 0, g_loss_slot_ = 0, d_real_slot_ = 0, d_fake_slot_ = 0;
  Tensor parts_;  // D's losses on real and fake of a D step, on the device
};

}  // namespace strata
