#include "bench/step.h"

#include "core/error.h"
#include "core/rng.h"

namespace strata::bench {

namespace {

BatchPosition position(Communicator& comm, int64_t batch, uint64_t step,
                       const StepCounter* counter) {
  BatchPosition pos;
  pos.counter = counter;
  pos.step = step;
  pos.global_batch = batch * comm.size();
  pos.sample_offset = static_cast<int64_t>(step) * pos.global_batch + comm.rank() * batch;
  return pos;
}

}  // namespace

// ---- autoencoder ----

AutoencoderStep::AutoencoderStep(const ModelInfo& info, int64_t batch, uint64_t seed,
                                 const StepParallel& par)
    : net_(make_autoencoder(info, seed, par.device)),
      batch_(batch),
      comm_(par.comm ? *par.comm : local_),
      adam_(info.adam),
      pnet_(net_, comm_, par.options),
      step_(pnet_, adam_, AutoencoderStepOptions{seed, info.corruption}) {
  net_.set_precision(par.precision);
}

void AutoencoderStep::run(const Tensor& real, uint64_t step, const StepCounter* counter) {
  STRATA_CHECK(real.dim(0) == batch_, "batch of " << real.dim(0) << " samples; this step was set "
                                                  << "up for " << batch_);
  step_.run(real, position(comm_, batch_, step, counter));
}

StepLosses AutoencoderStep::losses() const {
  StepLosses out;
  out.loss = step_.last_mse();
  return out;
}

// ---- GAN ----

GanStep::GanStep(const ModelInfo& info, int64_t batch, uint64_t seed, const StepParallel& par)
    : gan_(make_gan(info, seed, par.device)),
      batch_(batch),
      comm_(par.comm ? *par.comm : local_),
      adam_g_(info.adam),
      adam_d_(info.adam),
      pg_(gan_.g, comm_, par.options),
      pd_(gan_.d, comm_, par.options),
      step_(pg_, pd_, adam_g_, adam_d_, gan_.z_sample, seed) {
  gan_.g.set_precision(par.precision);
  gan_.d.set_precision(par.precision);
}

void GanStep::run(const Tensor& real, uint64_t step, const StepCounter* counter) {
  STRATA_CHECK(real.dim(0) == batch_, "batch of " << real.dim(0) << " samples; this step was set "
                                                  << "up for " << batch_);
  step_.d_step(real, position(comm_, batch_, step, counter));
  step_.g_step();
}

StepLosses GanStep::losses() const {
  StepLosses out;
  out.d_loss = step_.last_d_loss();
  out.loss = step_.last_g_loss();
  return out;
}

std::unique_ptr<TrainStep> make_train_step(const ModelInfo& info, int64_t batch, uint64_t seed,
                                           const StepParallel& par) {
  STRATA_CHECK(batch > 0, "the batch size must be positive, got " << batch);
  if (info.kind == ModelKind::kAutoencoder)
    return std::make_unique<AutoencoderStep>(info, batch, seed, par);
  return std::make_unique<GanStep>(info, batch, seed, par);
}

// ---- data ----

ResidentData::ResidentData(const ModelInfo& info, const Shape& sample, int64_t batch, int count,
                           uint64_t seed, Device device)
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
  if (!device.is_cpu()) {  // made on the host, then moved once
    all_ = all_.to(device);
    p = all_.data();
  }
  for (int k = 0; k < count; ++k) views_.push_back(Tensor::view(p + k * per_batch, one, device));
}

}  // namespace strata::bench
