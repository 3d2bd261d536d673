// The `classifier` trainer kind: one network from `model:` (a layer list ending in class logits,
// core/config/model_yaml.h) trained in one phase, "train", under softmax cross-entropy on the
// data's labels; evaluate() reports test_accuracy and test_loss over ranks.
//
//   model: {input_shape: [1, 28, 28], layers: [..., {type: dense, units: 10}]}
//   optimizer: {kind: adam, lr: 0.001}
//   trainer: {kind: classifier, batch_size: 128, epochs: 5}    epochs: default 1
//
// Network roles: "classifier" (the whole model) and "features" (the same Sequential). The
// feature of an image (what the Frechet distance uses) is the input of the last layer, which must
// be a Dense: run network("classifier")->forward(x) and read activation(num_layers() - 2). The
// model must therefore have at least two layers (checked at parse time).
#pragma once

#include <memory>

#include "core/config/model_yaml.h"
#include "trainers/kinds/autoencoder_options.h"
#include "trainers/phase.h"

namespace strata {

struct ClassifierConfig {
  ModelSpec model;
  int64_t epochs = 1;
  OptimizerFactory optimizer;
};

ClassifierConfig parse_classifier_config(const YamlMap& config, const YamlMap& trainer);

class ClassifierSpec final : public TrainerSpec {
 public:
  explicit ClassifierSpec(ClassifierConfig c) : c_(std::move(c)) {}
  std::string kind() const override { return "classifier"; }
  Shape input_shape() const override { return c_.model.input_shape; }
  std::unique_ptr<Trainer> build(const TrainerContext& ctx) const override;

 private:
  ClassifierConfig c_;
};

}  // namespace strata
