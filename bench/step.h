// One training step of a benchmark model on a batch resident in memory: the trainers' own steps
// (trainers/autoencoder_step.h, trainers/gan_step.h: the same code `strata train` runs) on the
// models of MODELS.md with their Adam settings. Everything a step needs is allocated in the
// constructor and by the first step, so a steady-state step allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bench/models.h"
#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "core/precision.h"
#include "core/sequential.h"
#include "distributed/local_communicator.h"
#include "trainers/autoencoder_step.h"
#include "trainers/gan_step.h"
#include "trainers/parallel_net.h"

namespace strata::bench {

struct StepLosses {
  float loss = 0.0f;    // autoencoder: reconstruction MSE; GAN: the generator's loss
  float d_loss = 0.0f;  // GAN only: D's loss on real plus D's loss on fake
};

class TrainStep {
 public:
  virtual ~TrainStep() = default;
  // The shape of one sample of real data ({784} or an image).
  virtual Shape sample_shape() const = 0;
  // Trains on `real` ([batch, sample...]); `step` keys the random draws (or, when given, the
  // counter in device memory holding that step: a step captured as a CUDA graph). Reads nothing
  // back: the step's values stay on the device.
  virtual void run(const Tensor& real, uint64_t step, const StepCounter* counter = nullptr) = 0;
  // The optimizers a step steps (their learning rates are published before a graph replay).
  virtual std::vector<Optimizer*> optimizers() = 0;
  // The last step's losses on the host (one copy from a device, which waits for the step).
  virtual StepLosses losses() const = 0;
};

// The data-parallel side: with a communicator of several ranks, `batch` is this rank's share and
// the global batch is batch * world size; rank r's samples follow rank r - 1's.
struct StepParallel {
  Communicator* comm = nullptr;  // nullptr: one process (a LocalCommunicator)
  ParallelOptions options;
  Device device = Device::cpu();           // where the networks train (and `real` must be)
  Precision precision = Precision::kFp32;  // of the networks' matrix products
};

class AutoencoderStep final : public TrainStep {
 public:
  AutoencoderStep(const ModelInfo& info, int64_t batch, uint64_t seed,
                  const StepParallel& par = {});
  Shape sample_shape() const override { return net_.input_sample_shape(); }
  void run(const Tensor& real, uint64_t step, const StepCounter* counter = nullptr) override;
  std::vector<Optimizer*> optimizers() override { return {&adam_}; }
  StepLosses losses() const override;
  Sequential& net() { return net_; }

 private:
  Sequential net_;
  int64_t batch_;
  LocalCommunicator local_;
  Communicator& comm_;
  Adam adam_;
  ParallelNet pnet_;
  strata::AutoencoderStep step_;
};

class GanStep final : public TrainStep {
 public:
  GanStep(const ModelInfo& info, int64_t batch, uint64_t seed, const StepParallel& par = {});
  Shape sample_shape() const override { return gan_.image_sample; }
  void run(const Tensor& real, uint64_t step, const StepCounter* counter = nullptr) override;
  std::vector<Optimizer*> optimizers() override { return {&adam_g_, &adam_d_}; }
  StepLosses losses() const override;
  Gan& gan() { return gan_; }

 private:
  Gan gan_;
  int64_t batch_;
  LocalCommunicator local_;
  Communicator& comm_;
  Adam adam_g_, adam_d_;
  ParallelNet pg_, pd_;
  strata::GanStep step_;
};

std::unique_ptr<TrainStep> make_train_step(const ModelInfo& info, int64_t batch, uint64_t seed,
                                           const StepParallel& par = {});

// `count` batches of random data for the model, uniform in [0, 1] (autoencoders) or [-1, 1]
// (GANs), as one tensor [count * batch, sample...]; batch_view(k) is the k-th batch.
class ResidentData {
 public:
  // `count` batches of random values, on `device`.
  ResidentData(const ModelInfo& info, const Shape& sample, int64_t batch, int count, uint64_t seed,
               Device device = Device::cpu());
  const Tensor& batch_view(int64_t k) const { return views_[k % count_]; }
  int count() const { return count_; }

 private:
  Tensor all_;
  std::vector<Tensor> views_;
  int count_;
};

}  // namespace strata::bench
