#include "bench/step.h"

#include "core/error.h"
#include "core/rng.h"

namespace strata::bench {

namespace {

StepContext train_context(uint64_t seed, uint64_t step, int64_t batch) {
  StepContext ctx;
  ctx.training = true;
  ctx.param_grads = true;
  ctx.seed = seed;
  ctx.step = step;
  ctx.sample_offset = static_cast<int64_t>(step) * batch;
  return ctx;
}

}  // namespace

// ---- autoencoder ----

AutoencoderStep::AutoencoderStep(const ModelInfo& info, int64_t batch, uint64_t seed)
    : net_(make_autoencoder(info, seed)),
      corruption_(info.corruption),
      batch_(batch),
      seed_(seed),
      adam_(info.adam) {
  const Shape in = batched(batch, net_.input_sample_shape());
  if (corruption_ > 0.0f) noisy_ = Tensor(in);
  dy_ = Tensor(batched(batch, net_.output_sample_shape()));
}

void AutoencoderStep::corrupt(const Tensor& x, uint64_t step) {
  const int64_t n = x.dim(0), per = x.numel() / n;
  const int64_t first = static_cast<int64_t>(step) * batch_;
  const float p = corruption_;
  const float* src = x.data();
  float* dst = noisy_.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    RandomStream rng(seed_, RngPurpose::kCorruption, 0, step, static_cast<uint64_t>(first + i));
    const float* a = src + i * per;
    float* b = dst + i * per;
    for (int64_t j = 0; j < per; ++j) b[j] = rng.uniform() < p ? 0.0f : a[j];
  }
}

StepLosses AutoencoderStep::run(const Tensor& real, uint64_t step) {
  STRATA_CHECK(real.dim(0) == batch_, "batch of " << real.dim(0) << " samples; this step was set "
                                                  << "up for " << batch_);
  const StepContext ctx = train_context(seed_, step, batch_);
  const Tensor* in = &real;
  if (corruption_ > 0.0f) {
    corrupt(real, step);
    in = &noisy_;
  }
  net_.zero_grads();
  const Tensor& y = net_.forward(*in, ctx);
  StepLosses out;
  out.loss = mse_.forward_backward(y, real, dy_);  // reconstruct the clean input
  net_.backward(dy_, ctx, false);
  adam_.step(net_.params(), net_.grads());
  return out;
}

// ---- GAN ----

GanStep::GanStep(const ModelInfo& info, int64_t batch, uint64_t seed)
    : gan_(make_gan(info, seed)),
      batch_(batch),
      seed_(seed),
      adam_g_(info.adam),
      adam_d_(info.adam) {
  z_ = Tensor(batched(batch, gan_.z_sample));
  const Shape logits = batched(batch, gan_.d.output_sample_shape());
  ones_ = Tensor(logits);
  ones_.fill(1.0f);
  zeros_ = Tensor(logits);
  dlogit_ = Tensor(logits);
}

void GanStep::draw_latent(uint64_t step) {
  const int64_t n = z_.dim(0), per = z_.numel() / n;
  const int64_t first = static_cast<int64_t>(step) * batch_;
  float* z = z_.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    RandomStream rng(seed_, RngPurpose::kLatent, 0, step, static_cast<uint64_t>(first + i));
    for (int64_t j = 0; j < per; ++j) z[i * per + j] = rng.normal();
  }
}

StepLosses GanStep::run(const Tensor& real, uint64_t step) {
  STRATA_CHECK(real.dim(0) == batch_, "batch of " << real.dim(0) << " samples; this step was set "
                                                  << "up for " << batch_);
  Sequential& g = gan_.g;
  Sequential& d = gan_.d;
  const StepContext ctx = train_context(seed_, step, batch_);
  StepLosses out;

  draw_latent(step);
  const Tensor& fake = g.forward(z_, ctx);  // G's output stays alive until G's backward

  // Discriminator: real -> 1, fake -> 0, gradients accumulated over both.
  d.zero_grads();
  out.d_loss = bce_.forward_backward(d.forward(real, ctx), ones_, dlogit_);
  d.backward(dlogit_, ctx, false);
  out.d_loss += bce_.forward_backward(d.forward(fake, ctx), zeros_, dlogit_);
  d.backward(dlogit_, ctx, false);
  adam_d_.step(d.params(), d.grads());

  // Generator: non-saturating loss, D frozen (only its input gradient is computed).
  out.loss = bce_.forward_backward(d.forward(fake, ctx), ones_, dlogit_);
  StepContext frozen = ctx;
  frozen.param_grads = false;
  const Tensor* dfake = d.backward(dlogit_, frozen, true);
  g.zero_grads();
  g.backward(*dfake, ctx, false);
  adam_g_.step(g.params(), g.grads());
  return out;
}

std::unique_ptr<TrainStep> make_train_step(const ModelInfo& info, int64_t batch, uint64_t seed) {
  STRATA_CHECK(batch > 0, "the batch size must be positive, got " << batch);
  if (info.kind == ModelKind::kAutoencoder)
    return std::make_unique<AutoencoderStep>(info, batch, seed);
  return std::make_unique<GanStep>(info, batch, seed);
}

// ---- data ----

ResidentData::ResidentData(const ModelInfo& info, const Shape& sample, int64_t batch, int count,
                           uint64_t seed)
    : count_(count) {
  STRATA_CHECK(count > 0, "resident data needs at least one batch");
  const Shape one = batched(batch, sample);
  all_ = Tensor(batched(batch * count, sample));
  const bool gan = info.kind == ModelKind::kGan;
  const int64_t per_batch = one.numel();
  float* p = all_.data();
#pragma omp parallel for schedule(static)
  for (int k = 0; k < count; ++k) {
    RandomStream rng(seed, RngPurpose::kTest, 1, 0, static_cast<uint64_t>(k));
    float* b = p + k * per_batch;
    for (int64_t i = 0; i < per_batch; ++i)
      b[i] = gan ? 2.0f * rng.uniform() - 1.0f : rng.uniform();
  }
  for (int k = 0; k < count; ++k) views_.push_back(Tensor::view(p + k * per_batch, one));
}

}  // namespace strata::bench
