// Making every rank hold rank 0's checkpoint: rank 0 reads the file, then every registered tensor
// (shape first, since optimizer state is empty before a first step) and the position are
// broadcast. Only rank 0 needs to see the run folder.
#pragma once

#include <cstdint>

#include "distributed/communicator.h"
#include "trainers/run/checkpoint.h"
#include "trainers/state.h"

namespace strata {

// v on root, as every rank gets it (collective).
int64_t broadcast_value(Communicator& comm, int64_t v, int root = 0);
// Broadcasts every registered tensor from root, wherever it lives (staged through memory the
// communicator takes: distributed/staging.h); empty tensors on other ranks are made first, on
// their item's device.
void broadcast_state(Communicator& comm, StateRegistry& state, int root = 0);
// Broadcasts the position of meta from root (one collective).
void broadcast_position(Communicator& comm, CheckpointMeta& meta, int root = 0);

}  // namespace strata
