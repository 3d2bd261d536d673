#include "trainers/parallel_net.h"

#include "core/backend.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "distributed/model_sync.h"

namespace strata {

ParallelNet::ParallelNet(Sequential& net, Communicator& comm, const ParallelOptions& o)
    : net_(net), comm_(comm), o_(o) {
  STRATA_CHECK(net.built(), "ParallelNet: the network must be built first");
  // Checks that the communicator takes buffers where the model lives, before any collective.
  reducer_ = std::make_unique<GradientReducer>(comm, gradient_buffer_of(net), o.bucket_bytes,
                                               ReduceOp::kSum);
  broadcast_model(comm, net, 0);
  if (comm.size() > 1) rank_sum_ = std::make_unique<CommCrossRankSum>(comm, net.device());
  if (o.sync_batchnorm && rank_sum_) {
    net.set_cross_rank_sum(rank_sum_.get());
    bn_synced_ = true;
  }
}

ParallelNet::~ParallelNet() {
  report_grads_to(net_, nullptr);
  if (bn_synced_) net_.set_cross_rank_sum(nullptr);
}

void ParallelNet::reduce_next_backward() {
  if (o_.reduce) report_grads_to(net_, reducer_.get());
}

void ParallelNet::finish_reduce() {
  if (!o_.reduce) return;
  reducer_->finalize();
  report_grads_to(net_, nullptr);
}

StepContext train_context(uint64_t seed, const BatchPosition& pos) {
  StepContext ctx;
  ctx.training = true;
  ctx.param_grads = true;
  ctx.seed = seed;
  ctx.step = pos.step;
  ctx.sample_offset = pos.sample_offset;
  ctx.global_batch = pos.global_batch;
  ctx.counter = pos.counter;
  return ctx;
}

void scale_grad(Tensor& dy, float s) {
  if (s == 1.0f) return;
  dispatch(backend_for(dy.device()), [&](auto& be) { scale(be, dy.data(), dy.numel(), s); });
}

}  // namespace strata
