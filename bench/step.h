// One training step of a benchmark model on a batch resident in memory. Everything a step needs is
// allocated in the constructor (and by the first step, when the layers size their scratch), so a
// steady-state step allocates nothing.
//
// Autoencoder step: (mask the input, for a denoising model) -> forward -> MSE against the clean
//   input -> backward -> Adam. Gradients are zeroed first.
// GAN step: z ~ N(0, 1) keyed by (seed, kLatent, step, sample) -> G forward (train mode) ->
//   D on the real batch (label 1) and on the fake (label 0), BCE with logits, D's gradients
//   accumulated over both backwards -> Adam on D; then D on the fake again with label 1 (the
//   non-saturating G loss), backward through a frozen D (input gradient only) into G -> Adam on G.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bench/models.h"
#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "core/sequential.h"

namespace strata::bench {

struct StepLosses {
  float loss = 0.0f;    // autoencoder: reconstruction MSE; GAN: the generator's loss
  float d_loss = 0.0f;  // GAN only: D's loss on real plus D's loss on fake
};

class TrainStep {
 public:
  virtual ~TrainStep() = default;
  // The shape of one sample of real data ({784} or an image).
  virtual Shape sample_shape() const = 0;
  // Trains on `real` ([batch, sample...]); `step` keys the random draws.
  virtual StepLosses run(const Tensor& real, uint64_t step) = 0;
};

class AutoencoderStep final : public TrainStep {
 public:
  AutoencoderStep(const ModelInfo& info, int64_t batch, uint64_t seed);
  Shape sample_shape() const override { return net_.input_sample_shape(); }
  StepLosses run(const Tensor& real, uint64_t step) override;
  Sequential& net() { return net_; }

 private:
  // noisy_ = x with each value set to 0 with probability corruption_; the mask of sample s is
  // drawn from RandomStream(seed, kCorruption, 0, step, global index of s).
  void corrupt(const Tensor& x, uint64_t step);

  Sequential net_;
  float corruption_;
  int64_t batch_;
  uint64_t seed_;
  Adam adam_;
  MSELoss mse_;
  Tensor noisy_, dy_;
};

class GanStep final : public TrainStep {
 public:
  GanStep(const ModelInfo& info, int64_t batch, uint64_t seed);
  Shape sample_shape() const override { return gan_.image_sample; }
  StepLosses run(const Tensor& real, uint64_t step) override;
  Gan& gan() { return gan_; }

 private:
  void draw_latent(uint64_t step);

  Gan gan_;
  int64_t batch_;
  uint64_t seed_;
  Adam adam_g_, adam_d_;
  BCEWithLogitsLoss bce_;
  Tensor z_, ones_, zeros_, dlogit_;
};

std::unique_ptr<TrainStep> make_train_step(const ModelInfo& info, int64_t batch, uint64_t seed);

// `count` batches of random data for the model, uniform in [0, 1] (autoencoders) or [-1, 1]
// (GANs), as one tensor [count * batch, sample...]; batch_view(k) is the k-th batch.
class ResidentData {
 public:
  ResidentData(const ModelInfo& info, const Shape& sample, int64_t batch, int count, uint64_t seed);
  const Tensor& batch_view(int64_t k) const { return views_[k % count_]; }
  int count() const { return count_; }

 private:
  Tensor all_;
  std::vector<Tensor> views_;
  int count_;
};

}  // namespace strata::bench
