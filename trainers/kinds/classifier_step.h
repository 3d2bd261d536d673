// One data-parallel training step of a classifier: forward -> softmax cross-entropy on the batch's
// labels -> scale the loss gradient by n / N -> backward with the gradient buckets all-reduced as
// they are produced -> optimizer step. Used by the classifier kind and by the stacked
// autoencoder's supervised phase.
#pragma once

#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "trainers/parallel_net.h"

namespace strata {

struct ClassifierStepResult {
  float loss = 0;      // mean cross-entropy of this rank's samples
  float accuracy = 0;  // fraction of this rank's samples classified right
};

class ClassifierStep {
 public:
  ClassifierStep(ParallelNet& net, Optimizer& opt, uint64_t seed);
  // x: [n, sample...]; labels: [n] class indices as floats; each on the network's device or the
  // host (then copied there). The labels are checked on the host: host_labels when the caller has
  // them there (the reader's batch does), else a copy read back from the device.
  ClassifierStepResult run(const Tensor& x, const Tensor& labels, const BatchPosition& pos,
                           const Tensor* host_labels = nullptr);

 private:
  ParallelNet& pnet_;
  Optimizer& opt_;
  uint64_t seed_;
  SoftmaxCrossEntropyLoss loss_;
  Tensor x_, labels_, dy_;            // on the network's device
  Tensor host_labels_, host_logits_;  // on the host
};

// The fraction of rows of logits [n, K] whose largest entry is at labels[i] (both on the host).
float accuracy(const Tensor& logits, const Tensor& labels);

}  // namespace strata
