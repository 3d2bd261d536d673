// ClassifierPhase (trainers/kinds/classifier_phase.h): one supervised phase.
#include "trainers/kinds/classifier_phase.h"

#include "trainers/device_input.h"

namespace strata {

ClassifierPhase::ClassifierPhase(std::string name, int64_t epochs, Sequential& net,
                                 std::unique_ptr<Optimizer> opt, const TrainerContext& ctx)
    : name_(std::move(name)),
      epochs_(epochs),
      net_(net),
      opt_(std::move(opt)),
      eval_(eval_data(ctx)) {
  pnet_ = std::make_unique<ParallelNet>(net_, ctx.comm, ctx.parallel);
  step_ = std::make_unique<ClassifierStep>(*pnet_, *opt_, ctx.seed);
}

const StepValues& ClassifierPhase::step(const Batch& batch, const BatchPosition& pos) {
  const Tensor x = batch.images.reshaped(batched(batch.size, net_.input_sample_shape()));
  return step_->run(x, batch.labels, pos, &batch.host_labels);
}

Metrics ClassifierPhase::evaluate() {
  return evaluate_classification(eval_, [this](const Tensor& batch_images) -> const Tensor& {
    const int64_t n = batch_images.dim(0);
    const Tensor& images = on_device(batch_images, net_.device(), eval_images_);
    return net_.forward(images.reshaped(batched(n, net_.input_sample_shape())), eval_context());
  });
}

}  // namespace strata
