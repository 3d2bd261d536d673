// Collectives on memory wherever it lives. A host-buffer communicator (local, MPI) takes host
// memory and a device-buffer one (NCCL) GPU memory. Values elsewhere - on a GPU, or on the
// emulated device that stands for one in tests, under MPI; on the host under NCCL - go through a
// staging tensor the communicator takes: copied there before the collective and back after. The
// caller keeps the staging tensor, so repeated collectives allocate nothing once it is large
// enough. With one rank nothing is copied or communicated.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "distributed/communicator.h"

namespace strata {

// Whether comm's collectives take memory on `device` as it is.
bool takes_memory_on(const Communicator& comm, Device device);

// Where values on `device` go for comm's collectives: `device` itself when comm takes its memory;
// else the host (a host-buffer communicator) or `gpu` (a device-buffer communicator and host
// values: the GPU this rank works on; an error naming the communicator when it is not a GPU).
Device staging_device(const Communicator& comm, Device device, Device gpu);

// comm.broadcast of count floats at `data` on `device` from root (staged through `staging` on
// staging_device(comm, device, gpu) when needed; the root copies in, the others copy out).
void broadcast_on(Communicator& comm, float* data, int64_t count, Device device, int root,
                  Tensor& staging, Device gpu);
// comm.all_reduce of count floats at `data` on `device` (staged the same way).
void all_reduce_on(Communicator& comm, float* data, int64_t count, Device device, ReduceOp op,
                   Tensor& staging, Device gpu);

}  // namespace strata
