// The `stacked_autoencoder` trainer kind's configuration: an encoder described block by block, a
// decoder that mirrors it, greedy layer-wise pretraining, fine-tuning of the whole stack and an
// optional supervised head on the code.
//
//   model:
//     input_shape: [1, 28, 28]
//     encoder:                          # one block per greedy stage
//       - {type: dense, units: 1000, activation: relu}
//       - {type: dense, units: 30, activation: linear}
//       # conv: {type: conv2d, filters: 32, kernel: 3, padding: same, activation: relu, pool: 2}
//     output_activation: sigmoid        # the reconstruction's activation (default sigmoid)
//     upsampling: upsample              # conv mirrors: upsample (Upsample2D + conv2d) |
//                                       # transposed (conv_transpose2d, stride = pool)
//   optimizer: {kind: adam, lr: 0.001}  # each phase gets a fresh optimizer from this section
//   trainer:
//     kind: stacked_autoencoder
//     batch_size: 256
//     pretrain:                         # defaults for every stage; each stage may override them
//       epochs: 3                       # default 1
//       corruption: {kind: mask, p: 0.2}         # optional; {kind: gaussian, stddev} | {kind:
//       none} sparsity: {kind: kl, target: 0.05, weight: 0.1}   # optional, on the stage's code
//       dropout: 0.0                    # on the stage's code
//       optimizer: {...}                # optional: replaces the root optimizer for pretraining
//       stages: [{epochs: 5}, {...}]    # optional: one entry per block, same keys as above
//     finetune: {epochs: 10, corruption: {...}, dropout: 0.0, optimizer: {...}}   # epochs needed
//     supervised: {epochs: 5, classes: 10, optimizer: {...}}   # optional
//
// Activations: relu, leaky_relu, sigmoid, tanh, linear (default relu). Dense blocks: units.
// conv2d blocks: filters, kernel (default 3), padding same | valid (default same), pool (max
// pooling, default 1 = none); they must come before any dense block. A phase's `optimizer` is a
// full optimizer section that replaces the root's (not merged with it).
//
// Mirrors must restore shapes exactly, and this is checked here: with pooling p the conv output
// must be divisible by p. The decoder of block k: dense -> Dense(in units) (+ reshape to an image);
// conv2d, upsample -> [Upsample2D(p)] + Conv2D(in channels, kernel, same; a `valid` encoder conv
// is undone by explicit padding kernel - 1); conv2d, transposed -> ConvTranspose2D(in channels,
// kernel, stride p; same, or pad 0 + output_padding p - 1 for valid). Stage 1's decoder ends with
// output_activation, stage k > 1's with the activation of block k - 1 (what it reconstructs).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "trainers/autoencoder_step.h"
#include "trainers/kinds/autoencoder_options.h"
#include "trainers/phase.h"

namespace strata {

enum class BlockActivation { kLinear, kReLU, kLeakyReLU, kSigmoid, kTanh };
enum class Upsampling { kUpsample, kTransposed };

struct EncoderBlock {
  enum class Type { kDense, kConv };
  Type type = Type::kDense;
  int64_t units = 0;  // dense: units; conv: filters
  int64_t kernel = 3;
  bool same = true;  // conv padding
  int64_t pool = 1;
  BlockActivation activation = BlockActivation::kReLU;
  Shape in_shape, out_shape;  // one sample, entering and leaving the block (after pooling)
  std::string where;          // "FILE:LINE:COL: model.encoder[i]", for messages
};

// One phase's training options (a pretraining stage, or the fine-tuning).
struct StageOptions {
  int64_t epochs = 1;
  CorruptionOptions corruption;
  std::optional<SparsityOptions> sparsity;  // on the stage's code
  float dropout = 0.0f;                     // on the stage's code (fine-tuning: every code)
  OptimizerFactory optimizer;
};

struct SupervisedOptions {
  int64_t epochs = 1;
  int64_t classes = 0;
  float dropout = 0.0f;        // after each encoder block of the classifier (train mode only)
  float input_dropout = 0.0f;  // on the input pixels (train mode only): masking as augmentation
  OptimizerFactory optimizer;
};

struct StackedConfig {
  Shape input_shape;
  std::vector<EncoderBlock> blocks;
  BlockActivation output_activation = BlockActivation::kSigmoid;
  Upsampling upsampling = Upsampling::kUpsample;
  std::vector<StageOptions> stages;  // one per block
  StageOptions finetune;
  std::optional<SupervisedOptions> supervised;
};

// Reads `trainer` (kind and batch_size already read; finished here), `model` and `optimizer`,
// and checks every shape (including a trial build of every stage's network).
StackedConfig parse_stacked_config(const YamlMap& config, const YamlMap& trainer);

class StackedSpec final : public TrainerSpec {
 public:
  explicit StackedSpec(StackedConfig c) : c_(std::move(c)) {}
  std::string kind() const override { return "stacked_autoencoder"; }
  Shape input_shape() const override { return c_.input_shape; }
  std::unique_ptr<Trainer> build(const TrainerContext& ctx) const override;
  const StackedConfig& config() const { return c_; }

 private:
  StackedConfig c_;
};

}  // namespace strata
