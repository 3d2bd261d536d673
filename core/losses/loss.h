// Losses. Each returns the loss averaged over the batch (the mean over samples, so the value and
// the gradient do not change with the batch size) and writes dL/dpred. A loss checks its inputs
// and runs its op (core/ops/mse.h, bce_logits.h, softmax_cross_entropy.h) on the backend of the
// prediction's device.
#pragma once

#include "core/losses/scalar.h"
#include "core/tensor.h"

namespace strata {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual const char* kind() const = 0;
  // pred and target as the loss expects (see each loss). Returns the loss; overwrites dpred
  // (same shape as pred) with its gradient.
  virtual float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) = 0;
  // The loss alone (evaluation).
  virtual float forward(const Tensor& pred, const Tensor& target) = 0;

 protected:
  DeviceScalar value_;  // the op writes the loss here, on the prediction's device
};

// Mean squared error, averaged over every element (PyTorch's MSELoss(reduction='mean')).
class MSELoss final : public Loss {
 public:
  const char* kind() const override { return "mse"; }
  float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) override;
  float forward(const Tensor& pred, const Tensor& target) override;
};

// Binary cross-entropy on logits, averaged over every element; target in [0, 1] (same shape as
// pred). Stable form: max(z, 0) - z * t + log(1 + exp(-|z|)).
class BCEWithLogitsLoss final : public Loss {
 public:
  const char* kind() const override { return "bce_logits"; }
  float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) override;
  float forward(const Tensor& pred, const Tensor& target) override;
};

// Softmax cross-entropy: pred [N, K] logits, target [N] class indices stored as floats
// (exact below 2^24), averaged over the batch. An index outside [0, K) is an error.
class SoftmaxCrossEntropyLoss final : public Loss {
 public:
  const char* kind() const override { return "softmax_cross_entropy"; }
  float forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) override;
  float forward(const Tensor& pred, const Tensor& target) override;
};

}  // namespace strata
