// The data-parallel autoencoder step (trainers/autoencoder_step.h): corruption, MSE, the scaled
// sparsity hook, reduction around backward.
#include "trainers/autoencoder_step.h"

#include "core/error.h"
#include "core/ops/corruption.h"
#include "core/ops/elementwise.h"
#include "core/ops/fill.h"
#include "core/ops/step_values.h"
#include "trainers/device_input.h"

namespace strata {

AutoencoderStep::AutoencoderStep(ParallelNet& net, Optimizer& opt, const AutoencoderStepOptions& o)
    : pnet_(net), opt_(opt), o_(o) {
  if (o_.mask_probability > 0.0f && o_.corruption.kind == CorruptionKind::kNone)
    o_.corruption = {CorruptionKind::kMask, o_.mask_probability, 0.0f};
  STRATA_CHECK(o_.corruption.p >= 0.0f && o_.corruption.p < 1.0f,
               "the masking probability must be in [0, 1), got " << o_.corruption.p);
  STRATA_CHECK(o_.corruption.stddev >= 0.0f,
               "the corruption stddev must be >= 0, got " << o_.corruption.stddev);
  Sequential& m = net.net();
  STRATA_CHECK(m.input_sample_shape().numel() == m.output_sample_shape().numel(),
               "an autoencoder's output must have its input's size: input "
                   << m.input_sample_shape().str() << ", output " << m.output_sample_shape().str());
  if (o_.sparsity) {
    const int layer = o_.sparsity->layer;
    STRATA_CHECK(layer >= 0 && layer < m.num_layers(), "sparsity layer "
                                                           << layer << " is outside the network's "
                                                           << m.num_layers() << " layers");
    penalty_.emplace(o_.sparsity->penalty);
    penalty_->set_cross_rank_sum(net.cross_rank_sum());  // KL over the global batch
    // The penalty is a loss term: its gradient gets the same n / N as the MSE gradient.
    m.add_output_grad_hook(layer, [this](const Tensor& y, Tensor& dy) {
      size_on(penalty_grad_, dy.shape(), dy.device());
      Backend& backend = backend_for(dy.device());
      dispatch(backend, [&](auto& be) { fill(be, penalty_grad_.data(), dy.numel(), 0.0f); });
      penalty_->add_grad(y, penalty_grad_, penalty_global_batch_);
      dispatch(backend, [&](auto& be) {
        axpy(be, penalty_scale_, penalty_grad_.data(), dy.data(), dy.numel());
      });
    });
  }
  // loss = mse + sparsity; without a penalty the loss is the MSE's slot itself.
  mse_slot_ = values_.add_slots("mse");
  if (penalty_) {
    sparsity_slot_ = values_.add_slots("sparsity");
    loss_slot_ = values_.add_slots("loss");
  }
  values_.log("loss", penalty_ ? loss_slot_ : mse_slot_);
  values_.log("mse", mse_slot_);
  if (penalty_) values_.log("sparsity", sparsity_slot_);
  values_.place(m.device());
}

const Tensor& AutoencoderStep::corrupt(const Tensor& x, const BatchPosition& pos) {
  if (o_.corruption.kind == CorruptionKind::kNone) return x;
  if (o_.corruption.kind == CorruptionKind::kMask && o_.corruption.p == 0.0f) return x;
  if (o_.corruption.kind == CorruptionKind::kGaussian && o_.corruption.stddev == 0.0f) return x;
  size_on(noisy_, x.shape(), x.device());
  CorruptionArgs a;
  a.seed = o_.seed;
  a.step = pos.step;
  a.first_sample = pos.sample_offset;
  a.counter = pos.counter;
  a.batch = x.dim(0);
  a.per_sample = x.numel() / a.batch;
  dispatch(backend_for(x.device()), [&](auto& be) {
    if (o_.corruption.kind == CorruptionKind::kMask)
      corrupt_mask(be, a, o_.corruption.p, x.data(), noisy_.data());
    else
      corrupt_gaussian(be, a, o_.corruption.stddev, x.data(), noisy_.data());
  });
  return noisy_;
}

const StepValues& AutoencoderStep::compute_grads(const Tensor& batch, const BatchPosition& pos) {
  const int64_t n = batch.dim(0);
  STRATA_CHECK(
      n > 0 && n <= pos.global_batch,
      "a rank's batch of " << n << " samples does not fit a global batch of " << pos.global_batch);
  Sequential& m = pnet_.net();
  const Tensor& x = on_device(batch, m.device(), x_);
  penalty_global_batch_ = pos.global_batch;  // for the sparsity hook in backward
  const StepContext ctx = train_context(o_.seed, pos);
  const Tensor& in = corrupt(x, pos);
  m.zero_grads();
  const Tensor& y = m.forward(in, ctx);
  const Tensor target = x.reshaped(y.shape());  // reconstruct the clean input
  values_.place(m.device());
  mse_.forward_backward_to(y, target, dy_, values_.slot(mse_slot_));
  if (penalty_) {
    penalty_->value_to(m.activation(o_.sparsity->layer), pos.global_batch,
                       values_.slot(sparsity_slot_));
    dispatch(m.backend(), [&](auto& be) {
      add_values(be, values_.slot(mse_slot_), values_.slot(sparsity_slot_),
                 values_.slot(loss_slot_));
    });
  }
  penalty_scale_ = ParallelNet::grad_scale(n, pos.global_batch);
  scale_grad(dy_, penalty_scale_);
  pnet_.reduce_next_backward();
  m.backward(dy_, ctx, false);
  pnet_.finish_reduce();
  return values_;
}

const StepValues& AutoencoderStep::run(const Tensor& x, const BatchPosition& pos) {
  compute_grads(x, pos);
  Sequential& m = pnet_.net();
  opt_.step(m.params(), m.grads());
  return values_;
}

}  // namespace strata
