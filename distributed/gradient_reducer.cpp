#include "distributed/gradient_reducer.h"

#include "core/error.h"

namespace strata {

GradientReducer::GradientReducer(Communicator& comm, Sequential& model, int64_t bucket_bytes,
                                 ReduceOp op)
    : comm_(comm), model_(model), op_(op) {
  STRATA_CHECK(model.built(), "the gradient reducer needs a built model; call build() first");
  STRATA_CHECK(bucket_bytes > 0, "bucket_bytes must be positive, got " << bucket_bytes);
  const int n = model.num_layers();
  layer_bucket_.assign(n, -1);
  const int64_t limit = (bucket_bytes + static_cast<int64_t>(sizeof(float)) - 1) /
                        static_cast<int64_t>(sizeof(float));
  bool open = false;
  for (int i = n - 1; i >= 0; --i) {
    const int64_t count = model.layer_param_count(i);
    if (count == 0) continue;
    if (!open) {
      Bucket b;
      b.offset = model.layer_param_offset(i) + count;
      b.last_layer = i;
      buckets_.push_back(b);
      open = true;
    }
    Bucket& b = buckets_.back();
    STRATA_CHECK(model.layer_param_offset(i) + count == b.offset,
                 "layer " << i << "'s gradients are not contiguous with the layer after it");
    b.offset = model.layer_param_offset(i);
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
  detach();
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

void GradientReducer::attach() {
  if (!active() || attached_) return;
  model_.set_grads_ready_hook([this](int layer) { on_grads_ready(layer); });
  attached_ = true;
}

void GradientReducer::detach() {
  if (!attached_) return;
  model_.set_grads_ready_hook(nullptr);
  attached_ = false;
}

void GradientReducer::on_grads_ready(int layer) {
  const int b = layer_bucket_[layer];
  if (b < 0) return;
  STRATA_CHECK(b >= next_launch_ && remaining_[b] > 0,
               "layer " << layer << " ('" << model_.layer_name(layer)
                        << "') reported its gradients after its bucket's all-reduce was started; "
                           "attach the reducer only around the last backward of a step, and "
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
  handles_.push_back(
      comm_.all_reduce_async(model_.grads().data() + bucket.offset, bucket.count, op_));
}

void GradientReducer::finalize() {
  if (!active()) return;
  while (next_launch_ < static_cast<int>(buckets_.size())) launch(next_launch_++);
  for (auto& h : handles_) h.wait();
  handles_.clear();  // keeps its capacity
  next_launch_ = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) remaining_[b] = buckets_[b].num_layers;
}

}  // namespace strata
