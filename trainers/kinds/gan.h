// The `gan` trainer kind: a generator and a discriminator trained data-parallel with the
// alternating steps of trainers/gan_step.h, in one phase, "gan".
//
//   trainer:
//     kind: gan
//     batch_size: 256
//     epochs: 20
//     latent: 100                 # or latent_shape: [100, 1, 1]; default: G's input shape
//     d_steps: 1                  # discriminator steps per generator step
//     label_smoothing: 0.0        # one-sided: D's target for real samples is 1 - s
//     init: default               # default (the layers' own) | dcgan
//     samples: {count: 64, columns: 8}
//   models: {generator: <model section>, discriminator: <model section>}
//   optimizer: {...}              # for both, or
//   optimizers: {generator: {...}, discriminator: {...}}
//
// d_steps = k: each loop step takes one real batch and runs k discriminator steps on it, each
// with a fresh z (keyed by the step and the D step's index, gan_step.h), then one generator step
// on the last D step's fake. One loop step is thus one generator update, and an epoch visits each
// real sample once whatever k is (each real sample is shown to D k times).
//
// init: dcgan sets conv2d, conv_transpose2d and dense weights to N(0, 0.02), BatchNorm gammas to
// N(1, 0.02) and every bias (and BatchNorm beta) to 0, drawn from the network's seed (G: seed,
// D: seed + 1) and the parameter's index.
//
// The sample grid (write_samples) is G(z_fixed) in eval mode with z_fixed keyed by
// (seed, kLatent, kLatentSampleGrid, step 0, sample i): the same z at every call, so that grids
// written through training show the same samples improving.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/model_yaml.h"
#include "core/config/yaml_map.h"
#include "core/optim/optimizer.h"
#include "core/sequential.h"
#include "trainers/gan_step.h"
#include "trainers/parallel_net.h"
#include "trainers/phase.h"

namespace strata {

enum class GanInit { kDefault, kDcgan };

struct GanConfig {
  ModelSpec generator, discriminator;
  // Fresh optimizers (the sections are parsed and checked at load time).
  std::function<std::unique_ptr<Optimizer>()> make_opt_g, make_opt_d;
  int64_t epochs = 1;
  Shape latent;  // one latent vector
  int d_steps = 1;
  float label_smoothing = 0.0f;
  GanInit init = GanInit::kDefault;
  int sample_count = 64, sample_columns = 8;
};

// Reads `trainer` (kind and batch_size already read) and the root's models and optimizer(s),
// checks every shape (G's input == the latent, G's output == D's input, one logit from D) and
// finishes every map it reads.
GanConfig parse_gan_config(const YamlMap& config, const YamlMap& trainer);

// DCGAN initialisation of a built network (see above).
void dcgan_init(Sequential& net, uint64_t seed);

// G(z) in eval mode for z rows first..first+count-1 of latent stream `index` at step 0 of `seed`,
// computed `batch` at a time on G's device. Returns [count, G's output sample shape...] on the
// host.
Tensor generate_images(Sequential& g, uint64_t seed, uint32_t index, int64_t first, int64_t count,
                       int64_t batch = 256);

class GanSpec final : public TrainerSpec {
 public:
  explicit GanSpec(GanConfig config) : c_(std::move(config)) {}
  std::string kind() const override { return "gan"; }
  PixelScale default_scale() const override { return PixelScale::kSymmetric; }
  Shape input_shape() const override { return c_.discriminator.input_shape; }
  std::unique_ptr<Trainer> build(const TrainerContext& ctx) const override;
  const GanConfig& config() const { return c_; }

 private:
  GanConfig c_;
};

class GanTrainer;

class GanPhase final : public Phase {
 public:
  explicit GanPhase(GanTrainer& t) : t_(t) {}
  const std::string& name() const override { return name_; }
  int64_t epochs() const override;
  std::vector<Optimizer*> optimizers() override;
  std::vector<std::string> optimizer_names() const override {
    return {"generator", "discriminator"};
  }
  // d_loss, g_loss, d_real, d_fake (D's values averaged over the d_steps D steps).
  const StepValues& step(const Batch& batch, const BatchPosition& pos) override;
  // samples_dir/<tag>.png: the fixed-z grid.
  void write_samples(const std::string& samples_dir, const std::string& tag) override;

 private:
  GanTrainer& t_;
  std::string name_ = "gan";
};

class GanTrainer final : public Trainer {
 public:
  // Collective when ctx.comm has several ranks (ParallelNet broadcasts rank 0's weights).
  GanTrainer(const GanConfig& config, const TrainerContext& ctx);
  ~GanTrainer() override;

  std::vector<Phase*> phases() override { return {&phase_}; }
  void register_state(StateRegistry& state) override;
  Sequential* network(const std::string& role) override;

  const GanConfig& config() const { return c_; }
  uint64_t seed() const { return seed_; }
  Sequential& generator() { return g_; }
  Sequential& discriminator() { return d_; }
  Optimizer& opt_g() { return *opt_g_; }
  Optimizer& opt_d() { return *opt_d_; }
  GanStep& gan_step() { return *step_; }
  GanPhase& phase() { return phase_; }
  // G(z_fixed) in eval mode: [sample_count, image...] on the host.
  Tensor sample_grid_images();

 private:
  GanConfig c_;
  uint64_t seed_;
  Sequential g_, d_;
  std::unique_ptr<Optimizer> opt_g_, opt_d_;
  std::unique_ptr<ParallelNet> pg_, pd_;
  std::unique_ptr<GanStep> step_;
  GanPhase phase_;
};

}  // namespace strata
