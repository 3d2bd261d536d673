// ReconstructionPhase (trainers/kinds/autoencoder_phase.h): one MSE-reconstruction phase.
#include "trainers/kinds/autoencoder_phase.h"

#include "core/error.h"
#include "trainers/device_input.h"
#include "trainers/plot/png_grid.h"

namespace strata {

ReconstructionPhase::ReconstructionPhase(const ReconstructionPhaseOptions& o, Sequential& net,
                                         std::unique_ptr<Optimizer> opt, const TrainerContext& ctx,
                                         Sequential* prefix)
    : o_(o),
      net_(net),
      opt_(std::move(opt)),
      prefix_(prefix),
      eval_(eval_data(ctx)),
      pictures_from_(ctx.test ? ctx.test : ctx.train),
      data_(ctx.data) {
  o_.step.seed = ctx.seed;
  pnet_ = std::make_unique<ParallelNet>(net_, ctx.comm, ctx.parallel);
  step_ = std::make_unique<AutoencoderStep>(*pnet_, *opt_, o_.step);
}

void ReconstructionPhase::begin(bool fresh) {
  if (on_begin_) on_begin_(fresh);
  prepared_ = false;  // the prefix is refreshed at the first step (after a checkpoint is read)
}

void ReconstructionPhase::ensure_prepared() {
  if (prepared_) return;
  if (prepare_) prepare_();
  prepared_ = true;
}

const Tensor& ReconstructionPhase::input_of(const Tensor& batch_images) {
  const int64_t n = batch_images.dim(0);
  const Tensor& images = on_device(batch_images, net_.device(), images_);
  if (!prefix_) {
    input_ = images.reshaped(batched(n, net_.input_sample_shape()));
    return input_;
  }
  const Tensor& codes =
      prefix_->forward(images.reshaped(batched(n, prefix_->input_sample_shape())), eval_context());
  input_ = codes.reshaped(batched(n, net_.input_sample_shape()));
  return input_;
}

const StepValues& ReconstructionPhase::step(const Batch& batch, const BatchPosition& pos) {
  ensure_prepared();
  return step_->run(input_of(batch.images), pos);
}

Metrics ReconstructionPhase::evaluate() {
  ensure_prepared();
  return evaluate_reconstruction(eval_, [this](const Tensor& images) {
    const Tensor& x = input_of(images);
    const Tensor& y = net_.forward(x, eval_context());
    return std::make_pair(&x, &y);
  });
}

void ReconstructionPhase::write_samples(const std::string& samples_dir, const std::string& tag) {
  if (!o_.pictures || prefix_ || !pictures_from_ || !data_) return;
  if (sample_images_.empty()) sample_images_ = read_sample_images(*pictures_from_, *data_, 32);
  const int64_t n = sample_images_.dim(0);
  const Tensor& x = on_device(sample_images_, net_.device(), images_);
  const Tensor& y = net_.forward(x.reshaped(batched(n, net_.input_sample_shape())), eval_context());
  const Tensor out = y.to(Device::cpu());
  float low = 0, high = 1;
  pixel_range(data_->scale, &low, &high);
  write_png_pairs(samples_dir + "/" + tag + ".png", sample_images_,
                  out.reshaped(sample_images_.shape()), 8, low, high);
}

}  // namespace strata
