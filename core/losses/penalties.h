// Penalties that add to a loss: a sparsity penalty on one layer's activations, and L2 weight
// decay on a model's weights.
#pragma once

#include "core/losses/scalar.h"
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
  // global_batch: the samples of this step over all ranks (a's N is this rank's share). 0 means
  // this rank's batch is the whole batch. With a CrossRankSum it is required (>= N); without one
  // the KL means are this rank's, whatever it says.
  float value(const Tensor& a, int64_t global_batch);
  // As value(), the penalty written to *out (one float on a's device) and not read back.
  void value_to(const Tensor& a, int64_t global_batch, float* out);
  // Adds d(penalty)/da to da (same shape as a).
  void add_grad(const Tensor& a, Tensor& da, int64_t global_batch);
  // Hooks the penalty into `model`'s backward on the output of layer `layer` (global batch 0: for
  // a model on one rank, without a CrossRankSum); returns nothing, the value of the last batch is
  // then value(model.activation(layer), 0).
  void attach(Sequential& model, int layer);
  const SparsityOptions& options() const { return o_; }
  // KL with several data-parallel ranks: the mean activations rho_hat are taken over the global
  // batch (the local column sums are summed over ranks, one call in value() and one in
  // add_grad(), and divided by the global batch size), so the penalty is the one-rank penalty
  // whatever the split. nullptr: this rank's batch only. L1 needs nothing (it is a sum over
  // samples).
  void set_cross_rank_sum(CrossRankSum* sum) { sum_ = sum; }

 private:
  // rho_hat_ = clamped mean of each unit over this rank's batch, or the global batch with sum_
  // (rho_hat_ is then also the buffer of the cross-rank sum).
  void means(const Tensor& a, int64_t n, int64_t j, int64_t global_batch);

  SparsityOptions o_;
  Tensor rho_hat_;  // per unit, on the activations' device, reused
  DeviceScalar value_;
  CrossRankSum* sum_ = nullptr;
};

// Adds lambda * w to the gradient of every parameter with decay (weights, not biases or
// BatchNorm) and returns 0.5 * lambda * sum w^2 over them.
float apply_l2_weight_decay(Sequential& model, float lambda);

}  // namespace strata
