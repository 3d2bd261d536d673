// The stacked autoencoder trainer (kind stacked_autoencoder, configured as trainers/kinds/
// stacked_spec.h says): phases pretrain_1..pretrain_K, finetune and, with a `supervised` section,
// supervised.
//
//   pretrain_k  trains stage k (encoder block k + its mirror decoder) to reconstruct the codes of
//               blocks 1..k-1, computed on the fly in eval mode by a frozen copy of them (refreshed
//               from the trained stages before the phase's first step, so also after a resume);
//               corruption applies to the stage's input, sparsity and dropout to its code.
//   finetune    trains the whole mirrored stack under MSE against the input; begin(fresh = true)
//               copies every stage's weights into it by parameter name.
//   supervised  trains encoder + Dense(classes) under softmax cross-entropy on the labels (the
//               whole encoder is fine-tuned); begin(fresh = true) copies the fine-tuned encoder.
//               evaluate() reports test_accuracy and test_loss.
//
// Every network exists from build() and is registered in register_state ("stage_<k>",
// "autoencoder", "classifier"; optimizers "pretrain_<k>", "finetune", "supervised"), so a run
// resumed in any phase has every earlier result. The frozen prefixes and the `encoder` network
// are copies derived from those and are not checkpointed. Network roles: "autoencoder" (the
// stack), "encoder" (blocks 1..K; each call copies the stack's current encoder weights into it),
// "classifier" (with a supervised section), "stage_<k>".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "trainers/kinds/autoencoder_phase.h"
#include "trainers/kinds/classifier_phase.h"
#include "trainers/kinds/stacked_spec.h"

namespace strata {

class StackedTrainer final : public Trainer {
 public:
  // Collective (ParallelNet broadcasts every network from rank 0).
  StackedTrainer(const StackedConfig& c, const TrainerContext& ctx);

  std::vector<Phase*> phases() override;
  void register_state(StateRegistry& state) override;
  Sequential* network(const std::string& role) override;

  // For tests and tools.
  int num_stages() const { return static_cast<int>(stages_.size()); }
  Sequential& stage(int k) { return *stages_[k]; }
  Sequential& stack() { return *stack_; }
  Sequential* classifier() { return classifier_.get(); }

 private:
  StackedConfig c_;
  std::vector<std::unique_ptr<Sequential>> stages_;
  std::vector<std::unique_ptr<Sequential>> prefixes_;  // [k]: blocks 1..k (k >= 1; [0] unused)
  std::unique_ptr<Sequential> stack_, encoder_, classifier_;
  std::vector<std::unique_ptr<ReconstructionPhase>> pretrain_;
  std::unique_ptr<ReconstructionPhase> finetune_;
  std::unique_ptr<ClassifierPhase> supervised_;
};

}  // namespace strata
