// CrossRankSum (core/layer.h) over a Communicator: what synchronised BatchNorm sums its
// per-channel statistics with (distributed.sync_batchnorm), and a KL sparsity penalty its mean
// activations. The sums are on the model's device; a communicator that does not take that memory
// gets them through a staging copy (distributed/staging.h), kept between calls.
#pragma once

#include "core/layer.h"
#include "distributed/communicator.h"
#include "distributed/staging.h"

namespace strata {

class CommCrossRankSum final : public CrossRankSum {
 public:
  // device: where the sums are (the model's device).
  explicit CommCrossRankSum(Communicator& comm, Device device = Device::cpu())
      : comm_(comm), device_(device) {}
  void sum(float* data, int64_t count) override {
    all_reduce_on(comm_, data, count, device_, ReduceOp::kSum, staging_, device_);
  }

 private:
  Communicator& comm_;
  Device device_;
  Tensor staging_;
};

}  // namespace strata
