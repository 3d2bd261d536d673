#include "distributed/model_sync.h"

#include "core/error.h"

namespace strata {

void broadcast_model(Communicator& comm, Sequential& model, int root) {
  STRATA_CHECK(root >= 0 && root < comm.size(),
               "broadcast_model: root " << root << " is not a rank of " << comm.size());
  if (comm.size() == 1) return;
  Tensor& params = model.params();
  comm.broadcast(params.data(), params.numel(), root);
  for (Tensor* t : model.state()) comm.broadcast(t->data(), t->numel(), root);
}

float average_scalar(Communicator& comm, float value) {
  if (comm.size() == 1) return value;
  comm.all_reduce(&value, 1, ReduceOp::kAverage);
  return value;
}

}  // namespace strata
