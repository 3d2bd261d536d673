// ReconstructionPhase: a phase that trains one network to reconstruct its input under MSE
// (trainers/autoencoder_step.h): the `train` phase of the autoencoder kind, and the pretrain_k and
// finetune phases of the stacked autoencoder.
//
// A stage of greedy pretraining reconstructs codes, not images: `prefix` (optional) is a frozen
// network run in eval mode on the images first, and the phase trains `net` on its output. The
// prefix is refreshed by `prepare` (called before the first step or evaluation after begin(), so
// after a resumed run's checkpoint has been read), and `on_begin(fresh)` lets the trainer copy
// weights from earlier phases when the phase starts fresh.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "trainers/autoencoder_step.h"
#include "trainers/kinds/autoencoder_eval.h"
#include "trainers/phase.h"

namespace strata {

struct ReconstructionPhaseOptions {
  std::string name = "train";
  int64_t epochs = 1;
  AutoencoderStepOptions step;
  bool pictures = true;  // write_samples draws inputs beside reconstructions (images only)
};

class ReconstructionPhase final : public Phase {
 public:
  // net, opt and prefix must outlive the phase; the ParallelNet over net is made here (collective).
  ReconstructionPhase(const ReconstructionPhaseOptions& o, Sequential& net,
                      std::unique_ptr<Optimizer> opt, const TrainerContext& ctx,
                      Sequential* prefix = nullptr);

  void set_on_begin(std::function<void(bool fresh)> f) { on_begin_ = std::move(f); }
  void set_prepare(std::function<void()> f) { prepare_ = std::move(f); }

  const std::string& name() const override { return o_.name; }
  int64_t epochs() const override { return o_.epochs; }
  std::vector<Optimizer*> optimizers() override { return {opt_.get()}; }
  void begin(bool fresh) override;
  const StepValues& step(const Batch& batch, const BatchPosition& pos) override;
  Metrics evaluate() override;
  void write_samples(const std::string& samples_dir, const std::string& tag) override;

  Optimizer& optimizer() { return *opt_; }
  Sequential& net() { return net_; }
  AutoencoderStep& autoencoder_step() { return *step_; }

 private:
  void ensure_prepared();
  // The network's input for a batch of images (on the host or the network's device): the images
  // on the device, or the prefix's output.
  const Tensor& input_of(const Tensor& images);

  ReconstructionPhaseOptions o_;
  Sequential& net_;
  std::unique_ptr<Optimizer> opt_;
  Sequential* prefix_;
  std::unique_ptr<ParallelNet> pnet_;
  std::unique_ptr<AutoencoderStep> step_;
  EvalData eval_;
  const DatasetInfo* pictures_from_;
  const DataConfig* data_;
  std::function<void(bool)> on_begin_;
  std::function<void()> prepare_;
  bool prepared_ = false;
  Tensor input_;
  Tensor images_;         // a batch's images copied to the network's device (when not there)
  Tensor sample_images_;  // the pictures' inputs, on the host
};

}  // namespace strata
