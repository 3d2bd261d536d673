// NcclCommunicator: collectives on device (GPU) buffers over NCCL (CUDA build; STRATA_WITH_NCCL).
// One process per GPU: each rank uses GPU local_rank % device count. Under mpirun, MPI only
// bootstraps (rank 0's ncclUniqueId is broadcast, as bytes, by an MpiCommunicator of its own) and
// gives the rank, world size and ranks per node; without mpirun the world is this one process and
// MPI is not touched.
//
// Every wait is polled with a deadline (distributed/poll.h) on a nonblocking NCCL communicator,
// so a rank whose peer died throws after timeout_s instead of hanging: the communicator is then
// aborted (ncclCommAbort), every later call throws, and the job should end (distributed/fault.h).
//
// Ordering: a collective starts after all work enqueued so far on the compute stream (by default
// the legacy default stream, which also orders every blocking stream), and runs on a
// communicator-owned non-blocking stream; wait() returns once the result is in the buffer.
// Not thread safe: call it from one thread (the training thread), whose current CUDA device stays
// device(). Wait (or drop) every handle before the communicator is destroyed.
#pragma once

#include <cuda_runtime_api.h>  // defines: cudaStream_t, cudaEvent_t
#include <nccl.h>              // defines: ncclComm_t, ncclRedOp_t

#include <memory>
#include <vector>

#include "distributed/communicator.h"

namespace strata {

class NcclCommunicator final : public Communicator {
 public:
  // Picks the GPU, bootstraps over MPI when started by mpirun and creates the NCCL communicator
  // (collective over all ranks). Throws strata::Error when there is no GPU or NCCL fails.
  explicit NcclCommunicator(double timeout_s = kDefaultCommTimeoutS);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string name() const override { return "nccl"; }
  bool device_buffers() const override { return true; }
  double timeout_s() const override { return timeout_s_; }

  void set_stream(Stream stream) override {
    compute_stream_ = stream ? static_cast<cudaStream_t>(stream) : cudaStreamLegacy;
  }
  void all_reduce(void* data, int64_t count, DataType type, ReduceOp op) override;
  CommHandle all_reduce_async(void* data, int64_t count, DataType type, ReduceOp op) override;
  void broadcast(void* data, int64_t count, DataType type, int root) override;
  void barrier() override;
  void all_gather(const void* in, int64_t count, DataType type, void* out) override;
  using Communicator::all_gather;
  using Communicator::all_reduce;
  using Communicator::all_reduce_async;
  using Communicator::broadcast;

  // The GPU this rank uses, and the stream the collectives run on.
  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  // Whether an earlier failure, timeout or abandon() aborted the communicator (every call then
  // throws).
  bool broken() const override { return broken_; }
  // Aborts the communicator (ncclCommAbort: nothing of this rank stays queued on the GPU).
  void abandon(const std::string& reason) override;

 private:
  // Makes the comm stream wait for the compute stream, so the buffer holds its final values.
  void wait_for_compute(const char* op);
  // Records completion of the work just enqueued on the comm stream; the handle's wait polls it.
  CommHandle completion(const char* op, int64_t count, DataType type);
  // Polls an event until done, the communicator reports an error, or timeout_s passes; on the
  // two failures aborts the communicator and throws, naming op, count and type.
  void wait_event(cudaEvent_t event, const char* op, int64_t count, DataType type);
  // Turns an NCCL return code into success or an error; ncclInProgress (nonblocking
  // communicator) is polled until the call completes, within timeout_s.
  void check_nccl(ncclResult_t rc, const char* call);
  // Throws when the communicator was aborted, or the buffer is not device memory.
  void check_usable(const char* op) const;
  void check_device_buffer(const void* data, const char* op) const;
  [[noreturn]] void fail(const std::string& what);
  cudaEvent_t acquire_event();
  void release_event(cudaEvent_t event);
  // Frees everything; abort: ncclCommAbort instead of an orderly finalize. Never throws.
  void release(bool abort) noexcept;

  std::unique_ptr<Communicator> bootstrap_;  // MPI under mpirun, else null
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  int device_ = -1;
  double timeout_s_;
  bool broken_ = false;
  ncclComm_t comm_ = nullptr;
  bool average_ops_created_ = false;
  ncclRedOp_t average_f32_ = ncclSum;  // premultiply by 1/size, then sum
  ncclRedOp_t average_f64_ = ncclSum;
  cudaStream_t stream_ = nullptr;
  cudaStream_t compute_stream_ = cudaStreamLegacy;
  cudaEvent_t ready_event_ = nullptr;  // compute stream -> comm stream ordering
  float* barrier_scratch_ = nullptr;   // one device float all-reduced by barrier()
  std::vector<cudaEvent_t> free_events_;
  std::vector<cudaEvent_t> all_events_;
};

}  // namespace strata
