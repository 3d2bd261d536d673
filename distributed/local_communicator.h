// LocalCommunicator: world size 1, for a program started without mpirun. Always built. Every
// collective is a no-op or a copy, so training code needs no special case for one process.
#pragma once

#include "distributed/communicator.h"

namespace strata {

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string name() const override { return "local"; }
  double timeout_s() const override { return kDefaultCommTimeoutS; }  // nothing ever waits
  // One rank has no peer to fall out of step with: nothing breaks it.
  bool broken() const override { return false; }
  void abandon(const std::string&) override {}

  void all_reduce(void* data, int64_t count, DataType type, ReduceOp op) override;
  CommHandle all_reduce_async(void* data, int64_t count, DataType type, ReduceOp op) override;
  void broadcast(void* data, int64_t count, DataType type, int root) override;
  void barrier() override {}
  void all_gather(const void* in, int64_t count, DataType type, void* out) override;
  using Communicator::all_gather;
  using Communicator::all_reduce;
  using Communicator::all_reduce_async;
  using Communicator::broadcast;
};

}  // namespace strata
