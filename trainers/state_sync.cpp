#include "trainers/state_sync.h"

#include "core/error.h"

namespace strata {

int64_t broadcast_int64(Communicator& comm, int64_t v, int root) {
  if (comm.size() == 1) return v;
  STRATA_CHECK(v >= 0 && v < (int64_t{1} << 62), "broadcast_int64: " << v << " out of range");
  constexpr int64_t kPart = int64_t{1} << 22;  // below 2^24: exact in a float
  float parts[3] = {static_cast<float>(v % kPart), static_cast<float>((v / kPart) % kPart),
                    static_cast<float>(v / kPart / kPart)};
  comm.broadcast(parts, 3, root);
  return static_cast<int64_t>(parts[0]) + static_cast<int64_t>(parts[1]) * kPart +
         static_cast<int64_t>(parts[2]) * kPart * kPart;
}

void broadcast_state(Communicator& comm, StateRegistry& state, int root) {
  if (comm.size() == 1) return;
  for (const StateItem& it : state.items()) {
    const int64_t n = broadcast_int64(comm, it.tensor->numel(), root);
    if (it.tensor->numel() != n) {
      STRATA_CHECK(it.tensor->numel() == 0, "state " << it.group << "/" << it.name << " has "
                                                     << it.tensor->numel() << " values here but "
                                                     << n << " on rank " << root
                                                     << "; every rank must build the same model");
      it.tensor->resize(Shape{n});
    }
    comm.broadcast(it.tensor->data(), n, root);
  }
}

void broadcast_position(Communicator& comm, CheckpointMeta& meta, int root) {
  meta.pos.phase = broadcast_int64(comm, meta.pos.phase, root);
  meta.pos.epoch = broadcast_int64(comm, meta.pos.epoch, root);
  meta.pos.step_in_epoch = broadcast_int64(comm, meta.pos.step_in_epoch, root);
  meta.pos.global_step = broadcast_int64(comm, meta.pos.global_step, root);
}

}  // namespace strata
