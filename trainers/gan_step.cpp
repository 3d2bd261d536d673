// The alternating data-parallel GAN steps (trainers/gan_step.h).
#include "trainers/gan_step.h"

#include <memory>

#include "core/error.h"
#include "core/ops/bce_logits.h"
#include "core/ops/fill.h"
#include "core/ops/normal_draw.h"
#include "core/ops/step_values.h"
#include "core/rng.h"
#include "trainers/device_input.h"

namespace strata {

GanStep::GanStep(ParallelNet& g, ParallelNet& d, Optimizer& opt_g, Optimizer& opt_d,
                 const Shape& z_sample, uint64_t seed, int d_steps)
    : g_(g),
      d_(d),
      opt_g_(opt_g),
      opt_d_(opt_d),
      z_sample_(z_sample),
      seed_(seed),
      d_steps_(d_steps) {
  STRATA_CHECK(
      d_steps >= 1,
      "d_steps (discriminator steps per generator step) must be at least 1, got " << d_steps);
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
  STRATA_CHECK(g.net().device() == d.net().device(),
               "the generator lives on " << g.net().device().str() << " but the discriminator on "
                                         << d.net().device().str() << "; build both on one device");
  z_ = Tensor(batched(1, z_sample), g.net().device());
  parts_ = Tensor(Shape{2}, g.net().device());
  d_loss_slot_ = values_.add_slots("d_loss", d_steps);
  g_loss_slot_ = values_.add_slots("g_loss");
  d_real_slot_ = values_.add_slots("d_real", d_steps);
  d_fake_slot_ = values_.add_slots("d_fake", d_steps);
  values_.log("d_loss", d_loss_slot_, d_steps);
  values_.log("g_loss", g_loss_slot_);
  values_.log("d_real", d_real_slot_, d_steps);
  values_.log("d_fake", d_fake_slot_, d_steps);
  values_.place(g.net().device());
  // G and D run one after the other and G's backward takes the input gradient D's returns: they
  // can share the layers' workspace and the input-gradient buffers.
  const auto scratch = std::make_shared<SharedScratch>();
  g.net().share_scratch(scratch);
  d.net().share_scratch(scratch);
}

void draw_latents(Tensor& z, const Shape& z_sample, int64_t n, uint64_t seed, uint32_t index,
                  uint64_t step, int64_t first_sample, const StepCounter* counter) {
  z.resize(batched(n, z_sample));
  NormalDrawArgs a;
  a.seed = seed;
  a.step = step;
  a.purpose = RngPurpose::kLatent;
  a.index = index;
  a.first_sample = first_sample;
  a.counter = counter;
  a.batch = n;
  a.per_sample = z_sample.numel();
  dispatch(backend_for(z.device()), [&](auto& be) { normal_draw(be, a, z.data()); });
}

void GanStep::mean_sigmoid(const Tensor& logits, float* out) {
  dispatch(backend_for(logits.device()),
           [&](auto& be) { sigmoid_mean(be, logits.numel(), logits.data(), out); });
}

void GanStep::draw_latent(int64_t n, const BatchPosition& pos, int d_index) {
  draw_latents(z_, z_sample_, n, seed_, d_step_latent_index(d_index), pos.step, pos.sample_offset,
               pos.counter);
}

void GanStep::set_label_smoothing(float s) {
  STRATA_CHECK(s >= 0.0f && s < 1.0f, "label smoothing must be in [0, 1), got " << s);
  smoothing_ = s;
  targets_filled_ = false;  // refilled by size_labels
}

void GanStep::size_labels(const Shape& logits) {
  if (targets_filled_ && ones_.shape() == logits) return;
  const Device device = d_.net().device();
  size_on(ones_, logits, device);
  size_on(zeros_, logits, device);
  size_on(real_target_, logits, device);
  dispatch(backend_for(device), [&](auto& be) {
    fill(be, ones_.data(), ones_.numel(), 1.0f);
    fill(be, zeros_.data(), zeros_.numel(), 0.0f);
    fill(be, real_target_.data(), real_target_.numel(), 1.0f - smoothing_);
  });
  targets_filled_ = true;
}

void GanStep::d_step(const Tensor& real_batch, const BatchPosition& pos, int d_index) {
  const int64_t n = real_batch.dim(0);
  STRATA_CHECK(d_index >= 0 && d_index < d_steps_,
               "D step " << d_index << " of a step set up for " << d_steps_ << " D steps");
  STRATA_CHECK(
      n > 0 && n <= pos.global_batch,
      "a rank's batch of " << n << " samples does not fit a global batch of " << pos.global_batch);
  Sequential& g = g_.net();
  Sequential& d = d_.net();
  const Tensor& real = on_device(real_batch, d.device(), real_);
  const StepContext ctx = train_context(seed_, pos);
  pos_ = pos;
  d_index_ = d_index;
  scale_ = ParallelNet::grad_scale(n, pos.global_batch);

  draw_latent(n, pos, d_index);
  fake_ = &g.forward(z_, ctx);  // stays alive until g_step's backward
  const Tensor fake_in = fake_->reshaped(batched(n, d.input_sample_shape()));
  size_labels(batched(n, d.output_sample_shape()));

  d.zero_grads();
  const Tensor& real_logits = d.forward(real, ctx);
  mean_sigmoid(real_logits, values_.slot(d_real_slot_ + d_index));
  bce_.forward_backward_to(real_logits, real_target_, dlogit_, parts_.data());
  scale_grad(dlogit_, scale_);
  d.backward(dlogit_, ctx, false);
  const Tensor& fake_logits = d.forward(fake_in, ctx);
  mean_sigmoid(fake_logits, values_.slot(d_fake_slot_ + d_index));
  bce_.forward_backward_to(fake_logits, zeros_, dlogit_, parts_.data() + 1);
  dispatch(d.backend(), [&](auto& be) {
    add_values(be, parts_.data(), parts_.data() + 1, values_.slot(d_loss_slot_ + d_index));
  });
  scale_grad(dlogit_, scale_);
  d_.reduce_next_backward();
  d.backward(dlogit_, ctx, false);
  d_.finish_reduce();
  opt_d_.step(d.params(), d.grads());
}

void GanStep::g_step() {
  STRATA_CHECK(fake_ != nullptr, "GanStep::g_step needs a d_step first");
  Sequential& g = g_.net();
  Sequential& d = d_.net();
  const StepContext ctx = train_context(seed_, pos_);
  const int64_t n = fake_->dim(0);
  const Tensor fake_in = fake_->reshaped(batched(n, d.input_sample_shape()));
  bce_.forward_backward_to(d.forward(fake_in, ctx), ones_, dlogit_, values_.slot(g_loss_slot_));
  scale_grad(dlogit_, scale_);
  StepContext frozen = ctx;
  frozen.param_grads = false;  // D is frozen: only its input gradient
  const Tensor* dfake = d.backward(dlogit_, frozen, true);
  const Tensor dfake_out = dfake->reshaped(fake_->shape());
  g.zero_grads();
  g_.reduce_next_backward();
  g.backward(dfake_out, ctx, false);
  g_.finish_reduce();
  opt_g_.step(g.params(), g.grads());
  fake_ = nullptr;
}

}  // namespace strata
