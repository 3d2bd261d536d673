#include "trainers/parallel_net.h"

#include "core/error.h"
#include "distributed/model_sync.h"

namespace strata {

ParallelNet::ParallelNet(Sequential& net, Communicator& comm, const ParallelOptions& o)
    : net_(net), comm_(comm), o_(o) {
  STRATA_CHECK(net.built(), "ParallelNet: the network must be built first");
  STRATA_CHECK(!comm.device_buffers(), "distributed.backend '"
                                           << comm.name()
                                           << "' reduces GPU buffers but this model lives on the "
                                              "CPU; use distributed.backend: mpi (or auto)");
  broadcast_model(comm, net, 0);
  reducer_ = std::make_unique<GradientReducer>(comm, net, o.bucket_bytes, ReduceOp::kSum);
  if (comm.size() > 1) rank_sum_ = std::make_unique<CommCrossRankSum>(comm);
  if (o.sync_batchnorm && rank_sum_) {
    net.set_cross_rank_sum(rank_sum_.get());
    bn_synced_ = true;
  }
}

ParallelNet::~ParallelNet() {
  if (bn_synced_) net_.set_cross_rank_sum(nullptr);
}

void ParallelNet::reduce_next_backward() {
  if (o_.reduce) reducer_->attach();
}

void ParallelNet::finish_reduce() {
  if (!o_.reduce) return;
  reducer_->finalize();
  reducer_->detach();
}

StepContext train_context(uint64_t seed, const BatchPosition& pos) {
  StepContext ctx;
  ctx.training = true;
  ctx.param_grads = true;
  ctx.seed = seed;
  ctx.step = pos.step;
  ctx.sample_offset = pos.sample_offset;
  ctx.global_batch = pos.global_batch;
  return ctx;
}

void scale_grad(Tensor& dy, float s) {
  if (s == 1.0f) return;
  float* p = dy.data();
  const int64_t n = dy.numel();
#pragma omp parallel for simd if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) p[i] *= s;
}

}  // namespace strata
