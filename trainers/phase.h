// The seams between the shared training loop (trainers/loop.h) and the kinds of training.
//
// A TrainerSpec is a trainer kind's parsed and checked configuration (no data read, no network
// built). build() makes the Trainer: its networks, optimizers and phases. The loop then runs the
// phases in order: a stacked autoencoder has pretrain_1..K, finetune and (optionally) supervised;
// a GAN has one phase, gan; an autoencoder or a classifier has train. The loop owns everything
// the kinds share: the data reader (each rank its slice of the global batch), the step counter,
// learning-rate schedules, logging (metrics.jsonl, progress), pictures, checkpoints and resume,
// and the reaction to stop signals (trainers/signals.h). One loop, one checkpoint path for every
// kind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config/data_config.h"
#include "core/data/dataset.h"
#include "core/data/reader.h"
#include "core/optim/optimizer.h"
#include "core/precision.h"
#include "distributed/communicator.h"
#include "trainers/parallel_net.h"
#include "trainers/state.h"
#include "trainers/step_values.h"

namespace strata {

// Named values of a step or an evaluation, in order ("loss", "d_loss", "test_mse", ...).
using Metrics = std::vector<std::pair<std::string, double>>;

// What the loop gives a trainer when it builds it.
struct TrainerContext {
  Communicator& comm;
  uint64_t seed = 0;
  int64_t batch_size = 0;              // global batch of every phase
  const DatasetInfo* train = nullptr;  // opened and checked
  const DatasetInfo* test = nullptr;   // nullptr without data.test
  const DataConfig* data = nullptr;
  ParallelOptions parallel;  // from the distributed section
  // Where the networks live and train (the experiment's `device`, resolved for this rank). The
  // reader's batches arrive there; anything else a trainer gives its networks (test images,
  // labels, latent vectors) it puts there, and it reads results back explicitly.
  Device device = Device::cpu();
  // The precision of the networks' matrix products (the experiment's `precision`): each kind
  // applies it to every network it builds (Sequential::set_precision).
  Precision precision = Precision::kFp32;
};

class Phase {
 public:
  virtual ~Phase() = default;
  virtual const std::string& name() const = 0;  // "pretrain_1", "finetune", "gan", ...
  virtual int64_t epochs() const = 0;
  // Whether step() needs the batch's labels (the reader then requires a labels dataset).
  virtual bool needs_labels() const { return false; }
  // The optimizers this phase steps; the loop scales their learning rate (schedule section).
  virtual std::vector<Optimizer*> optimizers() = 0;
  // Their names in metrics.jsonl: the learning rate of optimizers()[k] is logged as
  // "lr_<name k>"; empty (a single optimizer): "lr".
  virtual std::vector<std::string> optimizer_names() const { return {}; }
  // Called before the phase's first step. fresh: the phase starts now (copy weights from earlier
  // phases, e.g. stacking pretrained encoders); false: a resumed run re-enters it and the
  // checkpoint has restored (or will restore) every tensor, so nothing may be re-initialised.
  virtual void begin(bool fresh) { (void)fresh; }
  // One training step on this rank's share of the global batch. Collective (reducers). Reads
  // nothing back from the device: the returned values are this rank's, on the device, the same
  // object with the same layout every step (valid until the next step); the loop accumulates
  // them there and averages them over ranks at its logging steps.
  virtual const StepValues& step(const Batch& batch, const BatchPosition& pos) = 0;
  // At the end of each epoch: evaluation on the test set (collective; every rank takes its share
  // and the results are combined over ranks), e.g. {"test_mse", ...}, {"test_accuracy", ...}.
  virtual Metrics evaluate() { return {}; }
  // Pictures into the run folder's samples/ (rank 0 only; must not communicate): GAN samples
  // from the fixed z, autoencoder inputs beside reconstructions. `tag` makes the file name, e.g.
  // "gan_step-000500".
  virtual void write_samples(const std::string& samples_dir, const std::string& tag) {
    (void)samples_dir;
    (void)tag;
  }
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual std::vector<Phase*> phases() = 0;
  // Every network and optimizer of every phase: what a checkpoint holds.
  virtual void register_state(StateRegistry& state) = 0;
  // A network by role, for commands that load a checkpoint ("encoder", "decoder", "autoencoder",
  // "classifier", "generator", "discriminator"); nullptr when this kind has none.
  virtual Sequential* network(const std::string& role) {
    (void)role;
    return nullptr;
  }
};

class TrainerSpec {
 public:
  virtual ~TrainerSpec() = default;
  virtual std::string kind() const = 0;
  // The pixel scale the kind wants when data.scale is not given (autoencoders: unit, GANs:
  // symmetric).
  virtual PixelScale default_scale() const { return PixelScale::kUnit; }
  // The shape of one input sample the kind's (first) network takes, to check against the data.
  virtual Shape input_shape() const = 0;
  // Collective when ctx.comm has several ranks (ParallelNet broadcasts weights).
  virtual std::unique_ptr<Trainer> build(const TrainerContext& ctx) const = 0;
};

}  // namespace strata
