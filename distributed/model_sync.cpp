#include "distributed/model_sync.h"

#include "core/error.h"
#include "distributed/staging.h"

namespace strata {

void broadcast_model(Communicator& comm, Sequential& model, int root) {
  STRATA_CHECK(root >= 0 && root < comm.size(),
               "broadcast_model: root " << root << " is not a rank of " << comm.size());
  if (comm.size() == 1) return;
  const Device device = model.device();
  Tensor staging;  // for a model on a device and a host-buffer communicator
  Tensor& params = model.params();
  broadcast_on(comm, params.data(), params.numel(), device, root, staging, device);
  for (Tensor* t : model.state())
    broadcast_on(comm, t->data(), t->numel(), t->device(), root, staging, device);
}

GradientBuffer gradient_buffer_of(Sequential& model) {
  STRATA_CHECK(model.built(), "the gradient reducer needs a built model; call build() first");
  GradientBuffer b;
  b.grads = Tensor::view(model.grads().data(), model.grads().shape(), model.device());
  for (int i = 0; i < model.num_layers(); ++i) {
    b.layer_offsets.push_back(model.layer_param_offset(i));
    b.layer_counts.push_back(model.layer_param_count(i));
  }
  return b;
}

void report_grads_to(Sequential& model, GradientReducer* reducer) {
  if (reducer == nullptr || !reducer->active()) {
    model.set_grads_ready_hook(nullptr);
    return;
  }
  model.set_grads_ready_hook([reducer](int layer) { reducer->grads_ready(layer); });
}

float average_scalar(Communicator& comm, float value) {
  if (comm.size() == 1) return value;
  comm.all_reduce(&value, 1, ReduceOp::kAverage);
  return value;
}

}  // namespace strata
