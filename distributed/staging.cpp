// Collectives staged through memory the communicator takes (distributed/staging.h).
#include "distributed/staging.h"

#include "core/error.h"

namespace strata {

namespace {

// staging as count floats on `device` (reallocated only when it must grow or move).
Tensor& staging_for(Tensor& staging, int64_t count, Device device) {
  if (staging.empty() || !(staging.device() == device) || staging.numel() < count)
    staging = Tensor(Shape{count}, device);
  return staging;
}

}  // namespace

bool takes_memory_on(const Communicator& comm, Device device) {
  return comm.device_buffers() ? device.is_cuda() : device.is_cpu();
}

Device staging_device(const Communicator& comm, Device device, Device gpu) {
  if (takes_memory_on(comm, device)) return device;
  if (!comm.device_buffers()) return Device::cpu();
  STRATA_CHECK(gpu.is_cuda(), "distributed.backend '"
                                  << comm.name() << "' communicates GPU buffers, but this rank's "
                                  << "values live on " << device.str() << " and it has no GPU ("
                                  << gpu.str() << "); use distributed.backend: mpi (or auto)");
  return gpu;
}

void broadcast_on(Communicator& comm, float* data, int64_t count, Device device, int root,
                  Tensor& staging, Device gpu) {
  if (comm.size() == 1 || count == 0) return;
  const Device via = staging_device(comm, device, gpu);
  if (via == device) {
    comm.broadcast(data, count, root);
    return;
  }
  Tensor& buf = staging_for(staging, count, via);
  Tensor values = Tensor::view(data, Shape{count}, device);
  Tensor staged = Tensor::view(buf.data(), Shape{count}, via);
  if (comm.rank() == root) copy(staged, values);
  comm.broadcast(staged.data(), count, root);
  if (comm.rank() != root) copy(values, staged);
}

void all_reduce_on(Communicator& comm, float* data, int64_t count, Device device, ReduceOp op,
                   Tensor& staging, Device gpu) {
  if (comm.size() == 1 || count == 0) return;
  const Device via = staging_device(comm, device, gpu);
  if (via == device) {
    comm.all_reduce(data, count, op);
    return;
  }
  Tensor& buf = staging_for(staging, count, via);
  Tensor values = Tensor::view(data, Shape{count}, device);
  Tensor staged = Tensor::view(buf.data(), Shape{count}, via);
  copy(staged, values);
  comm.all_reduce(staged.data(), count, op);
  copy(values, staged);
}

}  // namespace strata
