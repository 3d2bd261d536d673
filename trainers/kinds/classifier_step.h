// One data-parallel training step of a classifier: forward -> softmax cross-entropy on the batch's
// labels -> scale the loss gradient by n / N -> backward with the gradient buckets all-reduced as
// they are produced -> optimizer step. Used by the classifier kind and by the stacked
// autoencoder's supervised phase. Its values stay on the network's device
// (trainers/step_values.h): "loss", the mean cross-entropy of this rank's samples, and "accuracy",
// the fraction of them classified right (core/ops/accuracy.h).
#pragma once

#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "trainers/parallel_net.h"
#include "trainers/step_values.h"

namespace strata {

class ClassifierStep {
 public:
  ClassifierStep(ParallelNet& net, Optimizer& opt, uint64_t seed);
  // x: [n, sample...]; labels: [n] class indices as floats; each on the network's device or the
  // host (then copied there). The labels are checked on the host: host_labels when the caller has
  // them there (the reader's batch does), else a copy read back from the device.
  const StepValues& run(const Tensor& x, const Tensor& labels, const BatchPosition& pos,
                        const Tensor* host_labels = nullptr);
  const StepValues& values() const { return values_; }

 private:
  ParallelNet& pnet_;
  Optimizer& opt_;
  uint64_t seed_;
  SoftmaxCrossEntropyLoss loss_;
  Tensor x_, labels_, dy_;  // on the network's device
  Tensor host_labels_;      // on the host
  StepValues values_{"lower optimizer.lr"};
  int loss_slot_ = 0, accuracy_slot_ = 0;
};

}  // namespace strata
