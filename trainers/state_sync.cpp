#include "trainers/state_sync.h"

#include "core/error.h"
#include "distributed/staging.h"

namespace strata {

int64_t broadcast_value(Communicator& comm, int64_t v, int root) {
  if (comm.size() > 1) comm.broadcast(&v, 1, DataType::kI64, root);
  return v;
}

void broadcast_state(Communicator& comm, StateRegistry& state, int root) {
  if (comm.size() == 1) return;
  Tensor staging;  // for tensors in memory the communicator does not take
  for (const StateItem& it : state.items()) {
    const int64_t n = broadcast_value(comm, it.tensor->numel(), root);
    if (it.tensor->numel() != n) {
      STRATA_CHECK(it.tensor->numel() == 0, "state " << it.group << "/" << it.name << " has "
                                                     << it.tensor->numel() << " values here but "
                                                     << n << " on rank " << root
                                                     << "; every rank must build the same model");
      *it.tensor = Tensor(Shape{n}, it.device);
    }
    broadcast_on(comm, it.tensor->data(), n, it.tensor->device(), root, staging, it.device);
  }
}

void broadcast_position(Communicator& comm, CheckpointMeta& meta, int root) {
  int64_t pos[4] = {meta.pos.phase, meta.pos.epoch, meta.pos.step_in_epoch, meta.pos.global_step};
  if (comm.size() > 1) comm.broadcast(pos, 4, DataType::kI64, root);
  meta.pos = RunPosition{pos[0], pos[1], pos[2], pos[3]};
}

}  // namespace strata
