// One data-parallel training step of an autoencoder, shared by `strata train`, `strata bench` and
// every autoencoder phase (trainers/kinds/): (corrupt the input, for a denoising model) -> forward
// -> MSE against the clean input (+ a sparsity penalty on one layer's activations) -> scale the
// loss gradient by this rank's share of the global batch -> backward, with the network's gradient
// buckets all-reduced as backward produces them -> optimizer step.
//
// Every random draw that touches a sample is keyed by (seed, step, global sample index), never by
// rank, so the result does not depend on how the global batch is split: masking draws from
// RandomStream(seed, kCorruption, index 0, ...), Gaussian noise from index 1.
//
// The sparsity penalty is a loss term, so its gradient (added to dL/d(activation) through
// Sequential::add_output_grad_hook) is scaled by the same n / N as the MSE gradient. The L1
// penalty is a mean over samples and therefore exact over ranks; the KL penalty takes its mean
// activations over the global batch (the column sums summed over ranks, divided by the step's
// global batch size), so it too is the one-rank penalty (up to rounding) whatever the split.
//
// The step's values stay on the network's device (trainers/step_values.h): "loss" (MSE plus the
// penalty, a float sum), "mse" and, with a penalty, "sparsity". Nothing is read back, and a
// non-finite value is found where the loop reads the sums (trainers/loop/step_log.h).
#pragma once

#include <cstdint>
#include <optional>

#include "core/losses/loss.h"
#include "core/losses/penalties.h"
#include "core/optim/optimizer.h"
#include "trainers/parallel_net.h"
#include "trainers/step_values.h"

namespace strata {

enum class CorruptionKind { kNone, kMask, kGaussian };

struct CorruptionOptions {
  CorruptionKind kind = CorruptionKind::kNone;
  float p = 0.0f;       // mask: each input value set to 0 with this probability
  float stddev = 0.0f;  // gaussian: x + stddev * N(0, 1)
};

struct SparsityTarget {
  SparsityOptions penalty;
  int layer = 0;  // index into the network's layers: the penalty is on this layer's output
};

struct AutoencoderStepOptions {
  uint64_t seed = 0;
  float mask_probability = 0.0f;  // shorthand for corruption {mask, p} (kept for strata bench)
  CorruptionOptions corruption = {};
  std::optional<SparsityTarget> sparsity = std::nullopt;
};

class AutoencoderStep {
 public:
  AutoencoderStep(ParallelNet& net, Optimizer& opt, const AutoencoderStepOptions& o);
  AutoencoderStep(const AutoencoderStep&) = delete;
  AutoencoderStep& operator=(const AutoencoderStep&) = delete;
  // x: this rank's samples [n, sample...], on the network's device or the host (then copied
  // there); returns the values of this rank's samples, on the device (values()).
  const StepValues& run(const Tensor& x, const BatchPosition& pos);
  // Everything but the optimizer step: afterwards net().grads() holds the gradient of the global
  // batch's mean loss (reduced over ranks). Tests compare it across batch splits.
  const StepValues& compute_grads(const Tensor& x, const BatchPosition& pos);
  const StepValues& values() const { return values_; }
  // The last step's MSE on the host (one copy from a device): for tests and tools.
  float last_mse() const { return values_.read_slots()[static_cast<size_t>(mse_slot_)]; }
  // The factor the sparsity hook applied in the last backward (n / N).
  float last_penalty_scale() const { return penalty_scale_; }

 private:
  const Tensor& corrupt(const Tensor& x, const BatchPosition& pos);

  ParallelNet& pnet_;
  Optimizer& opt_;
  AutoencoderStepOptions o_;
  MSELoss mse_;
  std::optional<SparsityPenalty> penalty_;
  float penalty_scale_ = 1.0f;
  StepValues values_{"lower optimizer.lr"};
  int mse_slot_ = 0, sparsity_slot_ = -1, loss_slot_ = -1;
  int64_t penalty_global_batch_ = 0;      // the step's global batch, for the KL means over ranks
  Tensor x_, noisy_, dy_, penalty_grad_;  // on the network's device
};

}  // namespace strata
