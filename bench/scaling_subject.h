// What `strata scale` models: the networks one training step reduces, in the order it reduces them,
// built as training builds them (a benchmark model of bench/MODELS.md, or an experiment file's
// trainer kind), with the layout of the step (bench/scaling_model.h) at any bucket size.
//
// Buckets are GradientReducer's own (a reducer over a one-rank communicator, on each network's
// real gradient buffer), so they are exactly the buckets training would all-reduce.
//
// Where the step's time goes is estimated from the work of each layer, per sample: a layer with
// parameters does (parameters) x (positions they are applied at) multiply-adds, the positions
// being the smaller of its input's and output's spatial size (1 for Dense; a convolution's output
// positions; a transposed convolution's input positions); a layer without parameters does one
// operation per output value. Backward costs twice its forward. The step's order follows the
// trainers (trainers/autoencoder_step.cpp, trainers/gan_step.cpp):
//   autoencoder, classifier, stacked autoencoder (its fine-tuning): forward 1, reduced backward 2
//   GAN: G forward, D forward and backward on real, D forward on fake, D's reduced backward; then
//        D forward, D's input-gradient backward (counted as a forward), G's reduced backward
// The optimizer step is left out (a pass over the parameters, small beside the layers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/scaling_model.h"
#include "core/sequential.h"
#include "distributed/gradient_reducer.h"

namespace strata::scaling {

class ScalingSubject {
 public:
  virtual ~ScalingSubject() = default;

  // A benchmark model of bench/MODELS.md (throws naming the known ones).
  static std::unique_ptr<ScalingSubject> from_model(const std::string& name);
  // An experiment file (trainers/experiment.h): its trainer built on one CPU process, no data read.
  static std::unique_ptr<ScalingSubject> from_config(const std::string& path);

  const std::string& name() const { return name_; }
  const std::string& kind() const { return kind_; }
  // The global batch of the model (MODELS.md's, or trainer.batch_size).
  int64_t batch() const { return batch_; }
  // The bench model, or "" for an experiment file.
  const std::string& bench_model() const { return bench_model_; }
  // The bucket size training would use (the config's distributed.bucket_mb, else the reducer's
  // default).
  int64_t bucket_bytes() const { return bucket_bytes_; }
  // Bytes all-reduced per step: the fp32 gradient buffers of every reduced network, as the reducer
  // sends them (each parameter tensor's slice padded for alignment).
  int64_t gradient_bytes() const;

  // The reduced networks in the order their gradients are reduced in a step.
  struct Net {
    std::string role;  // "autoencoder", "discriminator", ...
    Sequential* net = nullptr;
    std::vector<double> work;  // per layer, multiply-adds (or operations) per sample
  };
  const std::vector<Net>& nets() const { return nets_; }

  // The reducer's buckets of each network at this bucket size.
  std::vector<std::vector<GradientReducer::Bucket>> reducer_buckets(int64_t bucket_bytes) const;
  // The step's layout at this bucket size.
  StepLayout layout(int64_t bucket_bytes) const;

 protected:
  ScalingSubject() = default;
  // Fills nets_ (after the subclass has built the networks): each network's layer work.
  void add_net(const std::string& role, Sequential& net);

  std::string name_, kind_, bench_model_;
  int64_t batch_ = 0;
  int64_t bucket_bytes_ = GradientReducer::kDefaultBucketBytes;

 private:
  std::vector<Net> nets_;
};

// Per-layer work of a network built on the CPU (see above), from one forward of a zero sample.
std::vector<double> layer_work(Sequential& net);

}  // namespace strata::scaling
