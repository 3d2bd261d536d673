// ClassifierPhase: a phase that trains one network on labelled images under softmax
// cross-entropy (trainers/kinds/classifier_step.h): the `train` phase of the classifier kind and
// the stacked autoencoder's `supervised` phase. evaluate() reports test_accuracy and test_loss
// over every rank's share of the test set.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "trainers/kinds/autoencoder_eval.h"
#include "trainers/kinds/classifier_step.h"
#include "trainers/phase.h"

namespace strata {

class ClassifierPhase final : public Phase {
 public:
  // net must outlive the phase; the ParallelNet over it is made here (collective).
  ClassifierPhase(std::string name, int64_t epochs, Sequential& net, std::unique_ptr<Optimizer> opt,
                  const TrainerContext& ctx);

  // Called by begin(fresh): e.g. copy a pretrained encoder into the classifier.
  void set_on_begin(std::function<void(bool fresh)> f) { on_begin_ = std::move(f); }

  const std::string& name() const override { return name_; }
  int64_t epochs() const override { return epochs_; }
  bool needs_labels() const override { return true; }
  std::vector<Optimizer*> optimizers() override { return {opt_.get()}; }
  void begin(bool fresh) override {
    if (on_begin_) on_begin_(fresh);
  }
  const StepValues& step(const Batch& batch, const BatchPosition& pos) override;
  Metrics evaluate() override;

  Optimizer& optimizer() { return *opt_; }

 private:
  std::string name_;
  int64_t epochs_;
  Sequential& net_;
  std::unique_ptr<Optimizer> opt_;
  std::unique_ptr<ParallelNet> pnet_;
  std::unique_ptr<ClassifierStep> step_;
  EvalData eval_;
  std::function<void(bool)> on_begin_;
  Tensor eval_images_;  // test images copied to the network's device (when not there)
};

}  // namespace strata
