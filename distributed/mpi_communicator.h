// MpiCommunicator: collectives on host buffers over MPI (built with STRATA_MPI). The first one
// created initialises MPI (MPI_Init_thread, once per process) and MPI_Finalize runs at exit.
// Each communicator works on its own duplicate of MPI_COMM_WORLD, so its traffic never matches
// messages of other libraries. MPI errors are returned (MPI_ERRORS_RETURN), not fatal, and each
// becomes a strata::Error naming the MPI call.
#pragma once

#include <mpi.h>

#include <climits>

#include "distributed/communicator.h"

namespace strata {

class MpiCommunicator final : public Communicator {
 public:
  // max_count: the most elements passed to one MPI call (MPI counts are int); larger buffers are
  // split into pieces. Only tests lower it, to exercise the splitting on small buffers.
  explicit MpiCommunicator(double timeout_s = kDefaultCommTimeoutS, int64_t max_count = INT_MAX);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string name() const override { return "mpi"; }
  double timeout_s() const override { return timeout_s_; }

  void all_reduce(float* data, int64_t count, ReduceOp op) override;
  CommHandle all_reduce_async(float* data, int64_t count, ReduceOp op) override;
  void broadcast(float* data, int64_t count, int root) override;
  void barrier() override;
  void all_gather(const float* in, int64_t count, float* out) override;

  // The thread support MPI granted (MPI_THREAD_SINGLE ... MPI_THREAD_MULTIPLE).
  static int thread_level();

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Comm local_comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  double timeout_s_;
  int64_t max_count_;
};

}  // namespace strata
