// Losses. Each returns the loss averaged over the batch (the mean over samples, so the value and
// the gradient do not change with the batch size) and writes dL/dpred. A loss checks its inputs
// and runs its op (core/ops/mse.h, bce_logits.h, softmax_cross_entropy.h) on the backend of the
// prediction's device. The target must be on that device too; dpred is made there (reallocated
// when it lives elsewhere or has another shape). The *_to variants write the loss to `value`, one
// float on the prediction's device (e.g. a slot of trainers/step_values.h), and read nothing back:
// a training step uses them; the others return the value on the host (one copy from a device).
#pragma once

#include "core/losses/scalar.h"
#include "core/tensor.h"

namespace strata {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual const char* kind() const = 0;
  // pred and target as the loss expects (see each loss), on one device. Returns the loss;
  // overwrites dpred (same shape as pred, on pred's device) with its gradient.
  virtual float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) = 0;
  // The loss alone (evaluation).
  virtual float forward(const Tensor& pred, const Tensor& target) = 0;
  // As forward_backward, the loss written to *value (on pred's device) and not read back.
  virtual void forward_backward_to(const Tensor& pred, const Tensor& target, Tensor& dpred,
                                   float* value) = 0;

 protected:
  DeviceScalar value_;  // the op writes the loss here, on the prediction's device
};

// Throws, naming `loss`, unless target lives on pred's device.
void check_same_device(const char* loss, const Tensor& pred, const Tensor& target);
// Makes dpred a tensor of pred's shape on pred's device (allocating only when it is not one).
void prepare_grad(const Tensor& pred, Tensor& dpred);

// Mean squared error, averaged over every element (PyTorch's MSELoss(reduction='mean')).
class MSELoss final : public Loss {
 public:
  const char* kind() const override { return "mse"; }
  float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) override;
  float forward(const Tensor& pred, const Tensor& target) override;
  void forward_backward_to(const Tensor& pred, const Tensor& target, Tensor& dpred,
                           float* value) override;
};

// Binary cross-entropy on logits, averaged over every element; target in [0, 1] (same shape as
// pred). Stable form: max(z, 0) - z * t + log(1 + exp(-|z|)).
class BCEWithLogitsLoss final : public Loss {
 public:
  const char* kind() const override { return "bce_logits"; }
  float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) override;
  float forward(const Tensor& pred, const Tensor& target) override;
  void forward_backward_to(const Tensor& pred, const Tensor& target, Tensor& dpred,
                           float* value) override;
};

// Softmax cross-entropy: pred [N, K] logits, target [N] class indices stored as floats
// (exact below 2^24), averaged over the batch. An index outside [0, K) is an error, found on the
// host before the op runs: a CPU target is checked as it is, a device target through a copy to
// the host (N floats per call) - unless the caller passes the host copy it already has
// (host_target, a CPU tensor with target's values: the labels of a batch before they were put on
// the device).
class SoftmaxCrossEntropyLoss final : public Loss {
 public:
  const char* kind() const override { return "softmax_cross_entropy"; }
  float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) override;
  float forward_backward(const Tensor& pred, const Tensor& target, const Tensor& host_target,
                         Tensor& dpred);
  float forward(const Tensor& pred, const Tensor& target) override;
  void forward_backward_to(const Tensor& pred, const Tensor& target, Tensor& dpred,
                           float* value) override;
  void forward_backward_to(const Tensor& pred, const Tensor& target, const Tensor& host_target,
                           Tensor& dpred, float* value);

 private:
  void checked_forward_backward(const Tensor& pred, const Tensor& target, const Tensor* host_target,
                                Tensor& dpred, float* value);
  // target's values on the host: target itself, host_target, or a copy in host_copy_.
  const Tensor& host_values(const Tensor& target, const Tensor* host_target);

  Tensor host_copy_;
};

// Throws, naming the sample, unless every value of `target` (a CPU tensor) is a class index in
// [0, k).
void check_class_indices(const Tensor& target, int64_t k);

}  // namespace strata
