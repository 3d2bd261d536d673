// CrossRankSum (core/layer.h) over a Communicator: what synchronised BatchNorm sums its
// per-channel statistics with (distributed.sync_batchnorm).
#pragma once

#include "core/layer.h"
#include "distributed/communicator.h"

namespace strata {

class CommCrossRankSum final : public CrossRankSum {
 public:
  explicit CommCrossRankSum(Communicator& comm) : comm_(comm) {}
  void sum(float* data, int64_t count) override { comm_.all_reduce(data, count, ReduceOp::kSum); }

 private:
  Communicator& comm_;
};

}  // namespace strata
