// GradientReducer: averages a model's gradients over all ranks, bucket by bucket, while the
// backward pass is still running (flashlight's reducer: add as gradients become ready, finalize
// before the optimizer step).
//
// Buckets are contiguous slices of model.grads() made of whole layers, taken in reverse layer
// order (the order backward produces them); a bucket closes once it holds bucket_bytes or more.
// attach() installs the model's grads-ready hook: when every layer of a bucket has reported, the
// bucket's all-reduce (ReduceOp::kAverage, or the op given to the constructor) is started at once.
// Buckets are always started in bucket order, so every rank issues its collectives in the same
// order. finalize() starts any bucket not started yet (layers that did not report, e.g. a frozen
// network) and waits for all of them; call it exactly once per step, after the last backward and
// before the optimizer step.
//
// With world size 1 the reducer does nothing (no hook, no copies, no communication). A steady-state
// step allocates nothing here (the handle vector is sized once).
//
// A network whose backward runs more than once per step (a GAN's discriminator on real and fake)
// must attach the reducer only around its last backward: a layer reporting after its bucket was
// started throws, since the buffer is then in flight.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/sequential.h"
#include "distributed/communicator.h"

namespace strata {

class GradientReducer {
 public:
  using Clock = std::chrono::steady_clock;

  struct Bucket {
    int64_t offset = 0;  // into model.grads(), in floats
    int64_t count = 0;   // floats
    // Layers [first_layer, last_layer] with parameters; backward reaches last_layer first.
    int first_layer = 0, last_layer = 0;
    int num_layers = 0;               // layers with parameters in the bucket
    Clock::time_point launch_time{};  // when its all-reduce was last started
  };

  static constexpr int64_t kDefaultBucketBytes = int64_t{25} << 20;

  // The model must be built. bucket_bytes must be positive. op: how buckets are combined;
  // trainers that scale the loss gradient by 1/world size pass kSum (the division then comes
  // for free, before the sum), others keep kAverage.
  GradientReducer(Communicator& comm, Sequential& model, int64_t bucket_bytes = kDefaultBucketBytes,
                  ReduceOp op = ReduceOp::kAverage);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Installs (detach: removes) the model's grads-ready hook. No-op with world size 1.
  void attach();
  void detach();
  // Starts every bucket not started yet and waits for all; then gradients are reduced.
  void finalize();

  const std::vector<Bucket>& buckets() const { return buckets_; }
  // The bucket holding layer i's gradients, or -1 for a layer without parameters.
  int bucket_of_layer(int i) const { return layer_bucket_[i]; }
  // Whether this reducer communicates at all (world size > 1).
  bool active() const { return comm_.size() > 1; }

 private:
  void on_grads_ready(int layer);
  void launch_ready();  // starts buckets in order while the next one is complete
  void launch(int b);

  Communicator& comm_;
  Sequential& model_;
  ReduceOp op_;
  std::vector<Bucket> buckets_;
  std::vector<int> layer_bucket_;
  std::vector<int> remaining_;  // per bucket: layers yet to report this step
  std::vector<CommHandle> handles_;
  int next_launch_ = 0;  // buckets [0, next_launch_) are started this step
  bool attached_ = false;
};

}  // namespace strata
