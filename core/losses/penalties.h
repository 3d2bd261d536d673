// Penalties that add to a loss: a sparsity penalty on one layer's activations, and L2 weight
// decay on a model's weights.
#pragma once

#include "core/sequential.h"

namespace strata {

// Sparsity of activations a[N, ...] (per unit j over the batch):
//   KL: weight * sum_j KL(rho || rho_hat_j), rho_hat_j = mean_n a[n, j] (clamped to
//       [1e-6, 1 - 1e-6]; activations are expected in (0, 1), e.g. after a sigmoid);
//   L1: weight * mean_n sum_j |a[n, j]|.
struct SparsityOptions {
  enum class Kind { kKL, kL1 };
  Kind kind = Kind::kKL;
  float rho = 0.05f;  // KL target rate
  float weight = 1e-3f;
};

class SparsityPenalty {
 public:
  explicit SparsityPenalty(const SparsityOptions& o) : o_(o) {}
  float value(const Tensor& a);
  // Adds d(penalty)/da to da (same shape as a).
  void add_grad(const Tensor& a, Tensor& da);
  // Hooks the penalty into `model`'s backward on the output of layer `layer`; returns nothing,
  // the value of the last batch is then value(model.activation(layer)).
  void attach(Sequential& model, int layer);
  const SparsityOptions& options() const { return o_; }

 private:
  SparsityOptions o_;
  Tensor rho_hat_;  // per unit, reused
};

// Adds lambda * w to the gradient of every parameter with decay (weights, not biases or
// BatchNorm) and returns 0.5 * lambda * sum w^2 over them.
float apply_l2_weight_decay(Sequential& model, float lambda);

}  // namespace strata
