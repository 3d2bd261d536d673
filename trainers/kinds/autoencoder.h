// The `autoencoder` trainer kind: one network from `model:` (a layer list,
// core/config/model_yaml.h) trained in one phase, "train", to reconstruct its input under MSE.
//
//   model: {input_shape: [1, 28, 28], layers: [...]}   output must have the input's size
//   optimizer: {kind: adam, lr: 0.001}
//   trainer:
//     kind: autoencoder
//     batch_size: 256
//     epochs: 10                                  default 1
//     corruption: {kind: mask, p: 0.3}            optional: denoising (or {kind: gaussian, stddev})
//     sparsity: {kind: kl, target: 0.05, weight: 0.1, layer: code}   optional ({kind: l1, weight,
//                                                 layer}); layer: a layer name or 0-based index
//
// Dropout is a layer of the model ({type: dropout, rate: 0.2}). Network roles: "autoencoder".
// parse_autoencoder_trainer (trainers/experiment.h) also dispatches kind stacked_autoencoder to
// trainers/kinds/stacked_spec.h.
#pragma once

#include <memory>
#include <optional>

#include "core/config/model_yaml.h"
#include "trainers/autoencoder_step.h"
#include "trainers/kinds/autoencoder_options.h"
#include "trainers/phase.h"

namespace strata {

struct AutoencoderConfig {
  ModelSpec model;
  int64_t epochs = 1;
  CorruptionOptions corruption;
  std::optional<SparsityTarget> sparsity;
  OptimizerFactory optimizer;
};

// Reads the kind's keys of `trainer` (and finishes it), `model` and `optimizer`.
AutoencoderConfig parse_autoencoder_config(const YamlMap& config, const YamlMap& trainer);

class AutoencoderSpec final : public TrainerSpec {
 public:
  explicit AutoencoderSpec(AutoencoderConfig c) : c_(std::move(c)) {}
  std::string kind() const override { return "autoencoder"; }
  Shape input_shape() const override { return c_.model.input_shape; }
  std::unique_ptr<Trainer> build(const TrainerContext& ctx) const override;
  const AutoencoderConfig& config() const { return c_; }

 private:
  AutoencoderConfig c_;
};

}  // namespace strata
