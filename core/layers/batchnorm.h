// BatchNorm over [N, C] (1-D: statistics per feature over the batch) or [N, C, H, W] (2-D:
// per channel over N, H and W), chosen from the input rank at build(). Train mode normalises
// with the batch statistics (biased variance) and updates the running statistics with
// momentum (running = (1 - momentum) * running + momentum * batch, unbiased variance, as
// PyTorch); eval mode uses the running statistics. gamma ("weight") and beta ("bias") are
// parameters; running_mean and running_var are state().
//
// Synchronised BatchNorm: with a CrossRankSum set (set_cross_rank_sum), train mode uses the
// statistics of the global batch (all data-parallel ranks; StepContext::global_batch samples), as
// PyTorch's SyncBatchNorm. Forward makes two cross-rank sums (per-channel sums, then squared
// deviations about the global mean); backward makes one (per-channel sum(dy) and sum(dy * xhat))
// when the input gradient is wanted. dgamma and dbeta stay this rank's sums: the gradient reducer
// combines them like any parameter gradient. Eval mode makes no cross-rank calls. The compute:
// core/ops/batchnorm.h.
#pragma once

#include "core/layer.h"
#include "core/ops/batchnorm.h"  // defines: BatchNormArgs, BatchNormBuffers

namespace strata {

struct BatchNormOptions {
  float momentum = 0.1f;
  float eps = 1e-5f;
  bool affine = true;
};

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const BatchNormOptions& o);
  const char* kind() const override { return "batchnorm"; }
  bool backward_needs_output() const override { return false; }
  bool backward_dx_over_dy() const override { return true; }
  Shape build(const Shape& in) override;
  const BatchNormOptions& options() const { return o_; }
  std::vector<ParamSpec> param_specs() const override;
  void bind(std::span<Tensor> params, std::span<Tensor> grads) override;
  std::vector<Tensor*> state() override { return {&running_mean_, &running_var_}; }
  void set_cross_rank_sum(CrossRankSum* sum) override { sum_ = sum; }
  ScratchNeeds setup(const Shape& in, Backend& backend) override;
  void bind_scratch(Tensor workspace, Tensor saved) override;
  void forward(const Tensor& x, Tensor& y, const StepContext& ctx) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                const StepContext& ctx) override;

 private:
  BatchNormArgs args(int64_t batch) const;
  BatchNormBuffers buffers();
  void forward_synced(const Tensor& x, Tensor& y, const StepContext& ctx);
  void backward_synced(const Tensor& x, const Tensor& dy, Tensor& dx, bool pgrads,
                       const StepContext& ctx);

  BatchNormOptions o_;
  int64_t c_ = 0, spatial_ = 1;
  Tensor gamma_, beta_, dgamma_, dbeta_;
  Tensor running_mean_, running_var_;
  Tensor saved_;                 // mean and invstd of the last train-mode forward (C each)
  Tensor workspace_;             // 2C floats: the cross-rank buffer of the synced path
  CrossRankSum* sum_ = nullptr;  // not owned; nullptr: this rank's batch only
  int64_t global_m_ = 0;         // values per channel in the last synced forward's global batch
};

}  // namespace strata
