// The `autoencoder` kind (trainers/kinds/autoencoder.h): parsing, and a trainer with one
// ReconstructionPhase.
#include "trainers/kinds/autoencoder.h"

#include "core/error.h"
#include "trainers/experiment.h"
#include "trainers/kinds/autoencoder_phase.h"
#include "trainers/kinds/stacked_spec.h"

namespace strata {

namespace {

class AutoencoderTrainer final : public Trainer {
 public:
  AutoencoderTrainer(const AutoencoderConfig& c, const TrainerContext& ctx)
      : model_(c.model.build(ctx.seed, ctx.device)) {
    model_.set_precision(ctx.precision);
    ReconstructionPhaseOptions o;
    o.name = "train";
    o.epochs = c.epochs;
    o.step.corruption = c.corruption;
    o.step.sparsity = c.sparsity;
    phase_ = std::make_unique<ReconstructionPhase>(o, model_, c.optimizer(), ctx);
  }
  std::vector<Phase*> phases() override { return {phase_.get()}; }
  void register_state(StateRegistry& state) override {
    state.add_network("autoencoder", model_);
    state.add_optimizer("autoencoder", phase_->optimizer(), model_.device());
  }
  Sequential* network(const std::string& role) override {
    return role == "autoencoder" ? &model_ : nullptr;
  }

 private:
  Sequential model_;
  std::unique_ptr<ReconstructionPhase> phase_;
};

}  // namespace

AutoencoderConfig parse_autoencoder_config(const YamlMap& config, const YamlMap& trainer) {
  AutoencoderConfig c;
  c.model = parse_model(config.get_map("model"));
  if (c.model.output_shape().numel() != c.model.input_shape.numel())
    config.get_map("model").fail("an autoencoder's output must have the input's size: output " +
                                 c.model.output_shape().str() + ", input " +
                                 c.model.input_shape.str());
  c.epochs = trainer.get_int_or("epochs", 1, IntRange::positive());
  if (auto m = trainer.find_map("corruption")) c.corruption = parse_corruption(*m);
  if (auto m = trainer.find_map("sparsity")) {
    SparsityTarget t;
    t.penalty = parse_sparsity_penalty(*m);
    std::vector<std::string> names;
    for (const LayerSpec& l : c.model.layers) names.push_back(l.name);
    t.layer = parse_layer_ref(*m, "layer", names);
    m->finish();
    c.sparsity = t;
  }
  trainer.finish();
  c.optimizer = optimizer_factory(config.get_map("optimizer"));
  return c;
}

std::unique_ptr<Trainer> AutoencoderSpec::build(const TrainerContext& ctx) const {
  return std::make_unique<AutoencoderTrainer>(c_, ctx);
}

std::unique_ptr<TrainerSpec> parse_autoencoder_trainer(const YamlMap& config,
                                                       const YamlMap& trainer) {
  const std::string kind = trainer.get_choice("kind", {"autoencoder", "stacked_autoencoder"});
  if (kind == "stacked_autoencoder")
    return std::make_unique<StackedSpec>(parse_stacked_config(config, trainer));
  return std::make_unique<AutoencoderSpec>(parse_autoencoder_config(config, trainer));
}

}  // namespace strata
