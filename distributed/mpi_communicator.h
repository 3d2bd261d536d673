// MpiCommunicator: collectives on host buffers over MPI (built with STRATA_MPI). The first one
// created initialises MPI (MPI_Init_thread, once per process) and MPI_Finalize runs at exit.
// Each communicator works on its own duplicate of MPI_COMM_WORLD, so its traffic never matches
// messages of other libraries. MPI errors are returned (MPI_ERRORS_RETURN), not fatal, and each
// becomes a strata::Error naming the MPI call.
//
// Progress: Open MPI's nonblocking collectives (libnbc) only move data while some thread is
// inside an MPI call, so an MPI_Iallreduce started during backward mostly waits for the final
// MPI_Wait. Instead every collective is queued, in call order, to one communication thread that
// runs it with the blocking call (MPI_Allreduce, ...), which progresses at full speed while the
// training thread computes. Synchronous calls queue and wait. The queue is a fixed ring of job
// slots, so a collective allocates nothing. This needs MPI_THREAD_SERIALIZED or better (after
// construction only the communication thread calls MPI); with less, collectives are started on
// the calling thread with the nonblocking calls and polled with MPI_Test until done.
//
// Failures: a wait gives up after timeout_s() and throws; an MPI error on the communication
// thread is thrown by the wait of its collective. Either leaves the communicator broken: every
// later collective or wait of an unfinished one throws at once (no second timeout while
// unwinding). Handles must be waited or destroyed before their communicator.
#pragma once

#include <mpi.h>

#include <climits>
#include <cstdint>
#include <memory>

#include "distributed/communicator.h"

namespace strata {

class CollectiveQueue;  // the job ring and communication thread (collective_queue.h)

class MpiCommunicator final : public Communicator {
 public:
  // Where collectives run: kAuto uses the communication thread when MPI's thread level allows
  // it; kCallingThread always polls on the caller (tests use it to exercise that fallback).
  enum class Progress { kAuto, kCallingThread };

  // max_count: the most elements passed to one MPI call (MPI counts are int); larger buffers are
  // split into pieces. Only tests lower it, to exercise the splitting on small buffers.
  explicit MpiCommunicator(double timeout_s = kDefaultCommTimeoutS, int64_t max_count = INT_MAX,
                           Progress progress = Progress::kAuto);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string name() const override { return "mpi"; }
  double timeout_s() const override { return timeout_s_; }

  void all_reduce(void* data, int64_t count, DataType type, ReduceOp op) override;
  CommHandle all_reduce_async(void* data, int64_t count, DataType type, ReduceOp op) override;
  void broadcast(void* data, int64_t count, DataType type, int root) override;
  void barrier() override;
  void all_gather(const void* in, int64_t count, DataType type, void* out) override;
  using Communicator::all_gather;
  using Communicator::all_reduce;
  using Communicator::all_reduce_async;
  using Communicator::broadcast;

  // The thread support MPI granted (MPI_THREAD_SINGLE ... MPI_THREAD_MULTIPLE).
  static int thread_level();
  // Whether this MPI library accepts GPU buffers (Open MPI's MPIX_Query_cuda_support, when it was
  // built with the CUDA extension). Only then may a GPU model hand device buffers to MPI; otherwise
  // they must be staged through host memory. Debian's Open MPI is not CUDA-aware.
  static bool cuda_aware();
  // GPU buffers go to MPI directly when it is CUDA-aware (set STRATA_MPI_CUDA_AWARE=0 to stage
  // them through pinned host memory anyway, e.g. to rule out a faulty CUDA-aware transport).
  bool takes_gpu_memory() const override { return takes_gpu_memory_; }
  // The MPI library's version string (MPI_Get_library_version; callable before MPI_Init).
  static std::string library_version();
  // Whether collectives run on the communication thread (else on the calling thread).
  bool uses_comm_thread() const;
  bool broken() const override;
  void abandon(const std::string& reason) override;
  // Collectives queued or running (started and not yet complete).
  int64_t in_flight() const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm local_comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  double timeout_s_;
  int64_t max_count_;
  bool takes_gpu_memory_ = false;
  // Shared: a communication thread stuck in MPI after a timeout is detached and keeps it alive.
  std::shared_ptr<CollectiveQueue> queue_;
};

}  // namespace strata
