#include "trainers/gan_step.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace strata {

GanStep::GanStep(ParallelNet& g, ParallelNet& d, Optimizer& opt_g, Optimizer& opt_d,
                 const Shape& z_sample, uint64_t seed)
    : g_(g), d_(d), opt_g_(opt_g), opt_d_(opt_d), z_sample_(z_sample), seed_(seed) {
  STRATA_CHECK(g.net().input_sample_shape() == z_sample,
               "the generator takes " << g.net().input_sample_shape().str()
                                      << " but the latent vector is " << z_sample.str());
  STRATA_CHECK(g.net().output_sample_shape().numel() == d.net().input_sample_shape().numel(),
               "the generator makes " << g.net().output_sample_shape().str()
                                      << " but the discriminator takes "
                                      << d.net().input_sample_shape().str());
  STRATA_CHECK(d.net().output_sample_shape().numel() == 1,
               "the discriminator must give one logit per sample, it gives "
                   << d.net().output_sample_shape().str());
}

void GanStep::draw_latent(int64_t n, const BatchPosition& pos) {
  z_.resize(batched(n, z_sample_));
  const int64_t per = z_sample_.numel();
  float* z = z_.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    RandomStream rng(seed_, RngPurpose::kLatent, 0, pos.step,
                     static_cast<uint64_t>(pos.sample_offset + i));
    for (int64_t j = 0; j < per; ++j) z[i * per + j] = rng.normal();
  }
}

void GanStep::size_labels(const Shape& logits) {
  if (ones_.shape() == logits) return;
  ones_.resize(logits);
  ones_.fill(1.0f);
  zeros_.resize(logits);
  zeros_.fill(0.0f);
  dlogit_.resize(logits);
}

float GanStep::d_step(const Tensor& real, const BatchPosition& pos) {
  const int64_t n = real.dim(0);
  STRATA_CHECK(
      n > 0 && n <= pos.global_batch,
      "a rank's batch of " << n << " samples does not fit a global batch of " << pos.global_batch);
  Sequential& g = g_.net();
  Sequential& d = d_.net();
  const StepContext ctx = train_context(seed_, pos);
  pos_ = pos;
  scale_ = ParallelNet::grad_scale(n, pos.global_batch);

  draw_latent(n, pos);
  fake_ = &g.forward(z_, ctx);  // stays alive until g_step's backward
  const Tensor fake_in = fake_->reshaped(batched(n, d.input_sample_shape()));
  size_labels(batched(n, d.output_sample_shape()));

  d.zero_grads();
  float loss = bce_.forward_backward(d.forward(real, ctx), ones_, dlogit_);
  scale_grad(dlogit_, scale_);
  d.backward(dlogit_, ctx, false);
  loss += bce_.forward_backward(d.forward(fake_in, ctx), zeros_, dlogit_);
  scale_grad(dlogit_, scale_);
  d_.reduce_next_backward();
  d.backward(dlogit_, ctx, false);
  d_.finish_reduce();
  STRATA_CHECK(std::isfinite(loss), "the discriminator's loss became "
                                        << loss << " at step " << pos.step
                                        << "; lower the optimizer's lr");
  opt_d_.step(d.params(), d.grads());
  return loss;
}

float GanStep::g_step() {
  STRATA_CHECK(fake_ != nullptr, "GanStep::g_step needs a d_step first");
  Sequential& g = g_.net();
  Sequential& d = d_.net();
  const StepContext ctx = train_context(seed_, pos_);
  const int64_t n = fake_->dim(0);
  const Tensor fake_in = fake_->reshaped(batched(n, d.input_sample_shape()));
  const float loss = bce_.forward_backward(d.forward(fake_in, ctx), ones_, dlogit_);
  scale_grad(dlogit_, scale_);
  StepContext frozen = ctx;
  frozen.param_grads = false;  // D is frozen: only its input gradient
  const Tensor* dfake = d.backward(dlogit_, frozen, true);
  const Tensor dfake_out = dfake->reshaped(fake_->shape());
  g.zero_grads();
  g_.reduce_next_backward();
  g.backward(dfake_out, ctx, false);
  g_.finish_reduce();
  STRATA_CHECK(std::isfinite(loss), "the generator's loss became " << loss << " at step "
                                                                   << pos_.step
                                                                   << "; lower the optimizer's lr");
  opt_g_.step(g.params(), g.grads());
  fake_ = nullptr;
  return loss;
}

}  // namespace strata
