// GradientReducer: averages a model's gradients over all ranks, bucket by bucket, while the
// backward pass is still running (flashlight's reducer: add as gradients become ready, finalize
// before the optimizer step).
//
// The reducer sees only a flat gradient buffer and each layer's slice of it (GradientBuffer; for
// a Sequential, distributed/model_sync.h's gradient_buffer_of). Buckets are contiguous slices made
// of whole layers, taken in reverse layer order (the order backward produces them); a bucket
// closes once it holds bucket_bytes or more. The model reports each layer whose gradients are
// final (grads_ready; distributed/model_sync.h's report_grads_to wires a Sequential's hook): when
// every layer of a bucket has reported, the bucket's all-reduce (ReduceOp::kAverage, or the op
// given to the constructor) is started at once. Buckets are always started in bucket order, so
// every rank issues its collectives in the same order. finalize() starts any bucket not started
// yet (layers that did not report, e.g. a frozen network) and waits for all of them; call it
// exactly once per step, after the last backward and before the optimizer step.
//
// The buffer lives on the model's device. A device-buffer communicator (NCCL) reduces it in place
// on the GPU. A host-buffer communicator (MPI) reduces GPU gradients (or the emulated device's)
// through a host buffer of the same size, allocated once here: a bucket's gradients are copied
// to its slice of the host buffer when the bucket starts, reduced there, and copied back in
// finalize() once its all-reduce is done. A CPU model with a device-buffer communicator is an
// error.
//
// With world size 1 the reducer does nothing (no hook, no copies, no communication). A steady-state
// step allocates nothing here (the handle vector is sized once).
//
// A network whose backward runs more than once per step (a GAN's discriminator on real and fake)
// must report to the reducer only during its last backward: a layer reporting after its bucket
// was started throws, since the buffer is then in flight.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/pinned.h"
#include "core/tensor.h"
#include "distributed/communicator.h"

namespace strata {

// A model's flat gradient buffer and each layer's slice of it, in layer order.
struct GradientBuffer {
  Tensor grads;                        // the flat buffer (a view; its device is the model's)
  std::vector<int64_t> layer_offsets;  // into grads, per layer
  std::vector<int64_t> layer_counts;   // per layer; 0 for a layer without parameters
};

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

  // Each layer's slice must follow the previous layer's with parameters. bucket_bytes must be
  // positive. op: how buckets are combined; trainers that scale the loss gradient by 1/world size
  // pass kSum (the division then comes for free, before the sum), others keep kAverage.
  GradientReducer(Communicator& comm, GradientBuffer buffer,
                  int64_t bucket_bytes = kDefaultBucketBytes, ReduceOp op = ReduceOp::kAverage);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Layer i's gradients are final for this step (its bucket starts once all its layers are).
  void grads_ready(int layer);
  // Starts every bucket not started yet and waits for all; then gradients are reduced.
  void finalize();

  const std::vector<Bucket>& buckets() const { return buckets_; }
  // The bucket holding layer i's gradients, or -1 for a layer without parameters.
  int bucket_of_layer(int i) const { return layer_bucket_[i]; }
  // Whether this reducer communicates at all (world size > 1).
  bool active() const { return comm_.size() > 1; }
  // Whether buckets go through a host staging buffer.
  bool staged() const { return !host_.empty(); }

 private:
  void launch_ready();  // starts buckets in order while the next one is complete
  void launch(int b);
  void copy_back(int b);  // a staged bucket's reduced values, from the host buffer

  Communicator& comm_;
  GradientBuffer buffer_;
  ReduceOp op_;
  Tensor host_;       // the staging buffer (host-buffer communicator, gradients on a device)
  HostPin host_pin_;  // host_ pinned, for a GPU model
  std::vector<Bucket> buckets_;
  std::vector<int> layer_bucket_;
  std::vector<int> remaining_;  // per bucket: layers yet to report this step
  std::vector<CommHandle> handles_;
  int next_launch_ = 0;  // buckets [0, next_launch_) are started this step
};

}  // namespace strata
