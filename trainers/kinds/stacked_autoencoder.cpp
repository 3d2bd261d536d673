// The stacked autoencoder trainer (trainers/kinds/stacked_autoencoder.h): its networks, phases
// and the weight copies between them.
#include "trainers/kinds/stacked_autoencoder.h"

#include "core/error.h"
#include "trainers/kinds/mirror.h"

namespace strata {

namespace {

// Distinct initialisation streams for the networks of one run.
uint64_t net_seed(uint64_t seed, int which) {
  return seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(which + 1) * 7919u;
}

}  // namespace

StackedTrainer::StackedTrainer(const StackedConfig& c, const TrainerContext& ctx) : c_(c) {
  const int K = static_cast<int>(c_.blocks.size());
  prefixes_.resize(K);
  const auto built = [&ctx](std::unique_ptr<Sequential> net) {
    net->set_precision(ctx.precision);
    return net;
  };
  for (int k = 0; k < K; ++k) {
    int code_layer = 0;
    stages_.push_back(built(build_stage(c_, k, net_seed(ctx.seed, k), &code_layer, ctx.device)));
    if (k > 0) prefixes_[k] = built(build_encoder(c_, k, net_seed(ctx.seed, 100 + k), ctx.device));
    const StageOptions& s = c_.stages[k];
    ReconstructionPhaseOptions o;
    o.name = "pretrain_" + std::to_string(k + 1);
    o.epochs = s.epochs;
    o.step.corruption = s.corruption;
    if (s.sparsity) o.step.sparsity = SparsityTarget{*s.sparsity, code_layer};
    o.pictures = k == 0;  // later stages reconstruct codes, not images
    pretrain_.push_back(std::make_unique<ReconstructionPhase>(o, *stages_[k], s.optimizer(), ctx,
                                                              prefixes_[k].get()));
    if (k > 0) {
      // The frozen blocks 1..k, from the stages that trained them.
      pretrain_[k]->set_prepare([this, k] {
        for (int j = 0; j < k; ++j) copy_params_by_name(*prefixes_[k], *stages_[j]);
      });
    }
  }

  stack_ = built(build_stack(c_, c_.finetune.dropout, net_seed(ctx.seed, 200), ctx.device));
  encoder_ = built(build_encoder(c_, K, net_seed(ctx.seed, 201), ctx.device));
  ReconstructionPhaseOptions fo;
  fo.name = "finetune";
  fo.epochs = c_.finetune.epochs;
  fo.step.corruption = c_.finetune.corruption;
  finetune_ = std::make_unique<ReconstructionPhase>(fo, *stack_, c_.finetune.optimizer(), ctx);
  finetune_->set_on_begin([this](bool fresh) {
    if (!fresh) return;  // resumed: the checkpoint holds the fine-tuned weights
    for (auto& s : stages_) copy_params_by_name(*stack_, *s);
  });

  if (c_.supervised) {
    classifier_ =
        built(build_classifier(c_, c_.supervised->classes, c_.supervised->dropout,
                               c_.supervised->input_dropout, net_seed(ctx.seed, 300), ctx.device));
    supervised_ = std::make_unique<ClassifierPhase>("supervised", c_.supervised->epochs,
                                                    *classifier_, c_.supervised->optimizer(), ctx);
    supervised_->set_on_begin([this](bool fresh) {
      if (fresh) copy_params_by_name(*classifier_, *stack_);  // the fine-tuned encoder
    });
  }
}

std::vector<Phase*> StackedTrainer::phases() {
  std::vector<Phase*> p;
  for (auto& s : pretrain_) p.push_back(s.get());
  p.push_back(finetune_.get());
  if (supervised_) p.push_back(supervised_.get());
  return p;
}

void StackedTrainer::register_state(StateRegistry& state) {
  for (size_t k = 0; k < stages_.size(); ++k) {
    const std::string n = std::to_string(k + 1);
    state.add_network("stage_" + n, *stages_[k]);
    state.add_optimizer("pretrain_" + n, pretrain_[k]->optimizer(), stages_[k]->device());
  }
  state.add_network("autoencoder", *stack_);
  state.add_optimizer("finetune", finetune_->optimizer(), stack_->device());
  if (classifier_) {
    state.add_network("classifier", *classifier_);
    state.add_optimizer("supervised", supervised_->optimizer(), classifier_->device());
  }
}

Sequential* StackedTrainer::network(const std::string& role) {
  if (role == "autoencoder") return stack_.get();
  if (role == "classifier") return classifier_.get();
  if (role == "encoder") {
    copy_params_by_name(*encoder_, *stack_);
    return encoder_.get();
  }
  for (size_t k = 0; k < stages_.size(); ++k)
    if (role == "stage_" + std::to_string(k + 1)) return stages_[k].get();
  return nullptr;
}

std::unique_ptr<Trainer> StackedSpec::build(const TrainerContext& ctx) const {
  return std::make_unique<StackedTrainer>(c_, ctx);
}

}  // namespace strata
