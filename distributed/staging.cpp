// Collectives staged through memory the communicator takes (distributed/staging.h).
#include "distributed/staging.h"

#include "core/backend.h"
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
  if (comm.device_buffers()) return device.is_cuda();
  return device.is_cpu() || (device.is_cuda() && comm.takes_gpu_memory());
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

namespace {

// collective(p) on count floats at `data` on `device`, or on a staged copy of them where comm
// does not take that memory: copied in before when copy_in, back after when copy_out.
template <class Collective>
void on_staged(Communicator& comm, float* data, int64_t count, Device device, Tensor& staging,
               Device gpu, bool copy_in, bool copy_out, const Collective& collective) {
  if (comm.size() == 1 || count == 0) return;
  const Device via = staging_device(comm, device, gpu);
  if (via == device) {
    // CUDA-aware MPI reads GPU memory outside the stream: the work on it must be done first.
    if (device.is_cuda() && !comm.device_buffers()) backend_for(device).synchronize();
    collective(data);
    return;
  }
  Tensor& buf = staging_for(staging, count, via);
  Tensor values = Tensor::view(data, Shape{count}, device);
  Tensor staged = Tensor::view(buf.data(), Shape{count}, via);
  if (copy_in) copy(staged, values);
  collective(staged.data());
  if (copy_out) copy(values, staged);
}

}  // namespace

void broadcast_on(Communicator& comm, float* data, int64_t count, Device device, int root,
                  Tensor& staging, Device gpu) {
  const bool root_rank = comm.rank() == root;
  on_staged(comm, data, count, device, staging, gpu, root_rank, !root_rank,
            [&](float* p) { comm.broadcast(p, count, root); });
}

void all_reduce_on(Communicator& comm, float* data, int64_t count, Device device, ReduceOp op,
                   Tensor& staging, Device gpu) {
  on_staged(comm, data, count, device, staging, gpu, true, true,
            [&](float* p) { comm.all_reduce(p, count, op); });
}

}  // namespace strata
