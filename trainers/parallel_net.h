// ParallelNet: one network trained data-parallel. It makes every rank start from rank 0's weights
// and BatchNorm statistics, owns the network's GradientReducer (one per network: a GAN's
// generator and discriminator each have their own, and only the network being stepped is
// reduced), and optionally synchronises BatchNorm statistics across ranks.
//
// The averaging is split in two so that it costs no extra pass over the gradients: each rank
// multiplies its loss gradient by grad_scale(n, N) = n / N (its n samples of the global batch of
// N), which turns the gradient of its local mean into its share of the gradient of the global
// mean; the reducer then sums (ReduceOp::kSum). That is the mean over the global batch, divided
// before the sum (no overflow in low precision), and exact for uneven splits (N = 8 over 3 ranks
// as 3, 3, 2) where averaging per-rank means would weight samples unequally.
//
// Use per step: reduce_next_backward() just before the network's last backward of the step, so
// that buckets start while backward runs; finish_reduce() after it, before the optimizer step.
#pragma once

#include <cstdint>
#include <memory>

#include "core/sequential.h"
#include "distributed/communicator.h"
#include "distributed/cross_rank_sum.h"
#include "distributed/gradient_reducer.h"

namespace strata {

struct ParallelOptions {
  int64_t bucket_bytes = GradientReducer::kDefaultBucketBytes;  // distributed.bucket_mb
  bool sync_batchnorm = false;  // distributed.sync_batchnorm: BatchNorm over the global batch
  // false: gradients are not reduced at all. Only for measuring the exposed communication time
  // (a step with reduction minus one without); training this way diverges across ranks.
  bool reduce = true;
};

class ParallelNet {
 public:
  // Collective. net must be built; it must outlive this object.
  ParallelNet(Sequential& net, Communicator& comm, const ParallelOptions& o = {});
  ~ParallelNet();
  ParallelNet(const ParallelNet&) = delete;
  ParallelNet& operator=(const ParallelNet&) = delete;

  Sequential& net() { return net_; }
  Communicator& comm() { return comm_; }
  GradientReducer& reducer() { return *reducer_; }
  // Sums over all ranks for statistics of the global batch (a KL sparsity penalty's mean
  // activations); nullptr with one rank.
  CrossRankSum* cross_rank_sum() { return rank_sum_.get(); }

  // The factor for a rank's loss gradient: local samples n over global samples N.
  static float grad_scale(int64_t n, int64_t global_n) {
    return static_cast<float>(static_cast<double>(n) / static_cast<double>(global_n));
  }
  // The next backward of net() starts bucket all-reduces as its layers finish.
  void reduce_next_backward();
  // Waits for every bucket (starting any not started) and stops reducing; gradients are then the
  // gradient of the global batch's mean loss on every rank.
  void finish_reduce();

 private:
  Sequential& net_;
  Communicator& comm_;
  ParallelOptions o_;
  std::unique_ptr<GradientReducer> reducer_;
  std::unique_ptr<CommCrossRankSum> rank_sum_;  // with more than one rank
  bool bn_synced_ = false;
};

// A rank's place in a step: what keys random draws and scales its gradients.
struct BatchPosition {
  uint64_t step = 0;          // optimizer step (keys every random draw of the step)
  int64_t sample_offset = 0;  // global index of this rank's first sample (keys per-sample draws)
  int64_t global_batch = 0;   // samples in this step over all ranks
  // When set (a step captured as a CUDA graph), the step and sample offset the random draws use
  // are read from here on the device; step and sample_offset above must hold the same values.
  const StepCounter* counter = nullptr;
};

// The context of a training step at pos: train mode, parameter gradients on.
StepContext train_context(uint64_t seed, const BatchPosition& pos);

// Multiplies dy in place by s (skipped when s == 1, so one rank is bit-for-bit unchanged).
void scale_grad(Tensor& dy, float s);

}  // namespace strata
