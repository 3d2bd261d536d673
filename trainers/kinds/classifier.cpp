// The `classifier` kind (trainers/kinds/classifier.h): parsing and a one-phase trainer.
#include "trainers/kinds/classifier.h"

#include "trainers/experiment.h"
#include "trainers/kinds/classifier_phase.h"

namespace strata {

namespace {

class ClassifierTrainer final : public Trainer {
 public:
  ClassifierTrainer(const ClassifierConfig& c, const TrainerContext& ctx)
      : model_(c.model.build(ctx.seed, ctx.device)) {
    model_.set_precision(ctx.precision);
    phase_ = std::make_unique<ClassifierPhase>("train", c.epochs, model_, c.optimizer(), ctx);
  }
  std::vector<Phase*> phases() override { return {phase_.get()}; }
  void register_state(StateRegistry& state) override {
    state.add_network("classifier", model_);
    state.add_optimizer("classifier", phase_->optimizer(), model_.device());
  }
  Sequential* network(const std::string& role) override {
    return role == "classifier" || role == "features" ? &model_ : nullptr;
  }

 private:
  Sequential model_;
  std::unique_ptr<ClassifierPhase> phase_;
};

}  // namespace

ClassifierConfig parse_classifier_config(const YamlMap& config, const YamlMap& trainer) {
  ClassifierConfig c;
  const YamlMap model = config.get_map("model");
  c.model = parse_model(model);
  const Shape out = c.model.output_shape();
  if (out.rank() != 1 || out[0] < 2)
    model.fail("a classifier must end in class logits [classes >= 2], got " + out.str());
  if (c.model.layers.size() < 2 || c.model.layers.back().type != "dense")
    model.fail(
        "a classifier's last layer must be a dense layer giving the class logits (its input is "
        "the feature vector), got " +
        (c.model.layers.empty() ? std::string("no layers") : c.model.layers.back().type));
  c.epochs = trainer.get_int_or("epochs", 1, IntRange::positive());
  trainer.finish();
  c.optimizer = optimizer_factory(config.get_map("optimizer"));
  return c;
}

std::unique_ptr<Trainer> ClassifierSpec::build(const TrainerContext& ctx) const {
  return std::make_unique<ClassifierTrainer>(c_, ctx);
}

std::unique_ptr<TrainerSpec> parse_classifier_trainer(const YamlMap& config,
                                                      const YamlMap& trainer) {
  return std::make_unique<ClassifierSpec>(parse_classifier_config(config, trainer));
}

}  // namespace strata
