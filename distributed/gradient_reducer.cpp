#include "distributed/gradient_reducer.h"

#include <utility>

#include "core/backend.h"
#include "core/error.h"
#include "distributed/staging.h"

namespace strata {

GradientReducer::GradientReducer(Communicator& comm, GradientBuffer buffer, int64_t bucket_bytes,
                                 ReduceOp op)
    : comm_(comm), buffer_(std::move(buffer)), op_(op) {
  STRATA_CHECK(bucket_bytes > 0, "bucket_bytes must be positive, got " << bucket_bytes);
  STRATA_CHECK(buffer_.layer_offsets.size() == buffer_.layer_counts.size(),
               "the gradient reducer needs an offset and a count for every layer");
  // A device-buffer communicator needs the gradients on its GPU; a host-buffer one takes any
  // device's through the staging buffer (and one rank never communicates).
  const Device device = buffer_.grads.device();
  STRATA_CHECK(!comm.device_buffers() || device.is_cuda(),
               "distributed.backend '" << comm.name() << "' reduces GPU buffers but this model "
                                       << "lives on "
                                       << (device.is_cpu() ? "the CPU" : device.str())
                                       << "; use distributed.backend: mpi (or auto), or train on "
                                       << "the GPU (device: auto or cuda)");
  if (active() && !takes_memory_on(comm, device)) {
    host_ = Tensor(buffer_.grads.shape());
    // Pinned, so that the copies to and from the GPU each step run at full speed.
    if (device.is_cuda())
      host_pin_ = HostPin(host_.data(), static_cast<size_t>(host_.numel()) * sizeof(float));
  }
  const int n = static_cast<int>(buffer_.layer_counts.size());
  layer_bucket_.assign(n, -1);
  const int64_t limit = (bucket_bytes + static_cast<int64_t>(sizeof(float)) - 1) /
                        static_cast<int64_t>(sizeof(float));
  bool open = false;
  for (int i = n - 1; i >= 0; --i) {
    const int64_t count = buffer_.layer_counts[i];
    if (count == 0) continue;
    if (!open) {
      Bucket b;
      b.offset = buffer_.layer_offsets[i] + count;
      b.last_layer = i;
      buckets_.push_back(b);
      open = true;
    }
    Bucket& b = buckets_.back();
    STRATA_CHECK(buffer_.layer_offsets[i] + count == b.offset,
                 "layer " << i << "'s gradients are not contiguous with the layer after it");
    b.offset = buffer_.layer_offsets[i];
    b.count += count;
    b.first_layer = i;
    ++b.num_layers;
    layer_bucket_[i] = static_cast<int>(buckets_.size()) - 1;
    if (b.count >= limit) open = false;
  }
  remaining_.resize(buckets_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) remaining_[b] = buckets_[b].num_layers;
  handles_.reserve(buckets_.size());
}

GradientReducer::~GradientReducer() {
  // Destroyed in the middle of a step (an exception unwinds through backward): some buckets
  // started, or layers reported, and finalize() never came.
  bool mid_step = next_launch_ > 0;
  for (size_t b = 0; b < buckets_.size(); ++b)
    mid_step = mid_step || remaining_[b] != buckets_[b].num_layers;
  // Never leave a gradient buffer in flight: the buckets started are also started by the other
  // ranks, so they complete (or time out). Each handle's destructor waits and swallows errors:
  // here we may be unwinding from a failed collective, and a wait() that threw would terminate.
  handles_.clear();
  // The other ranks still expect this step's remaining buckets, which this rank will never
  // start: no later collective of this rank may be matched with them.
  if (mid_step && active())
    comm_.abandon("the gradient reducer was destroyed in the middle of a step");
}

void GradientReducer::grads_ready(int layer) {
  if (!active()) return;
  const int b = layer_bucket_[layer];
  if (b < 0) return;
  STRATA_CHECK(b >= next_launch_ && remaining_[b] > 0,
               "layer " << layer
                        << " reported its gradients after its bucket's all-reduce was started; "
                           "report to the reducer only during the last backward of a step, and "
                           "call finalize() once per step");
  if (--remaining_[b] == 0) launch_ready();
}

void GradientReducer::launch_ready() {
  while (next_launch_ < static_cast<int>(buckets_.size()) && remaining_[next_launch_] == 0)
    launch(next_launch_++);
}

void GradientReducer::launch(int b) {
  Bucket& bucket = buckets_[b];
  bucket.launch_time = Clock::now();
  float* data = buffer_.grads.data() + bucket.offset;
  if (staged()) {
    Tensor host = Tensor::view(host_.data() + bucket.offset, Shape{bucket.count});
    copy(host, Tensor::view(data, Shape{bucket.count}, buffer_.grads.device()));
    data = host.data();
  } else if (buffer_.grads.device().is_cuda() && !comm_.device_buffers()) {
    // CUDA-aware MPI reads the GPU buffer itself, outside the stream: the backward that wrote
    // the bucket must be done first.
    backend_for(buffer_.grads.device()).synchronize();
  }
  handles_.push_back(comm_.all_reduce_async(data, bucket.count, DataType::kF32, op_));
}

void GradientReducer::copy_back(int b) {
  const Bucket& bucket = buckets_[b];
  Tensor grads = Tensor::view(buffer_.grads.data() + bucket.offset, Shape{bucket.count},
                              buffer_.grads.device());
  copy(grads, Tensor::view(host_.data() + bucket.offset, Shape{bucket.count}));
}

void GradientReducer::finalize() {
  if (!active()) return;
  while (next_launch_ < static_cast<int>(buckets_.size())) launch(next_launch_++);
  for (size_t b = 0; b < handles_.size(); ++b) {  // handle b is bucket b's: started in order
    handles_[b].wait();
    if (staged()) copy_back(static_cast<int>(b));
  }
  handles_.clear();  // keeps its capacity
  next_launch_ = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) remaining_[b] = buckets_[b].num_layers;
}

}  // namespace strata
