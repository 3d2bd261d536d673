#include "bench/exposed_comm.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/models.h"
#include "bench/stats.h"
#include "bench/step.h"
#include "core/error.h"
#include "distributed/model_sync.h"  // defines: gradient_buffer_of

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

// The gradient buffers a step reduces (one per network) and their buckets.
struct GradBuffers {
  std::vector<Sequential*> nets;
  int64_t floats = 0;
};

GradBuffers grad_buffers(TrainStep& step) {
  GradBuffers g;
  if (auto* ae = dynamic_cast<AutoencoderStep*>(&step)) {
    g.nets = {&ae->net()};
  } else {
    auto* gs = dynamic_cast<GanStep*>(&step);
    STRATA_CHECK(gs != nullptr, "bench --comm: unknown kind of training step");
    g.nets = {&gs->gan().d, &gs->gan().g};
  }
  for (Sequential* n : g.nets) g.floats += n->grads().numel();
  return g;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

void run_exposed_comm(Communicator& comm, const BenchOptions& o) {
  const ModelInfo& info = find_model(o.model.empty() ? "sae_finetune" : o.model);
  const int w = comm.size();
  const int64_t global = o.batch > 0 ? o.batch : info.batch;
  STRATA_CHECK(global % w == 0, "bench --comm: the global batch "
                                    << global << " of " << info.name << " does not split evenly "
                                    << "over " << w << " ranks; give --batch a multiple of " << w);
  const int64_t local = global / w;

  StepParallel reduced{&comm, {}};
  reduced.options.bucket_bytes =
      std::max<int64_t>(4, static_cast<int64_t>(o.bucket_mb * 1024.0 * 1024.0));
  StepParallel unreduced = reduced;
  unreduced.options.reduce = false;
  std::unique_ptr<TrainStep> with = make_train_step(info, local, o.seed, reduced);
  std::unique_ptr<TrainStep> without = make_train_step(info, local, o.seed, unreduced);
  ResidentData data(info, with->sample_shape(), local, 2, o.seed + comm.rank());

  uint64_t step = 0;
  auto time_step = [&](TrainStep& s) {
    comm.barrier();
    const auto t0 = Clock::now();
    s.run(data.batch_view(static_cast<int64_t>(step)), step);
    // A synchronous step ends when the slowest rank ends: without this barrier the unreduced
    // step would be timed per rank and the reduced one would also carry the ranks' jitter.
    comm.barrier();
    ++step;
    return ms_since(t0);
  };
  for (int64_t i = 0; i < o.warmup; ++i) {
    time_step(*with);
    time_step(*without);
  }
  std::vector<double> t_with, t_without;
  for (int64_t i = 0; i < o.steps; ++i) {
    t_with.push_back(time_step(*with));
    t_without.push_back(time_step(*without));
  }

  // The same gradients reduced alone, bucket by bucket (the reducer's buckets), blocking.
  const GradBuffers g = grad_buffers(*with);
  std::vector<std::unique_ptr<GradientReducer>> reducers;
  int buckets = 0;
  for (Sequential* n : g.nets) {
    reducers.push_back(std::make_unique<GradientReducer>(
        comm, gradient_buffer_of(*n), reduced.options.bucket_bytes, ReduceOp::kSum));
    buckets += static_cast<int>(reducers.back()->buckets().size());
  }
  std::vector<double> t_reduce;
  for (int64_t i = 0; i < o.steps; ++i) {
    comm.barrier();
    const auto t0 = Clock::now();
    for (auto& r : reducers) r->finalize();  // starts every bucket and waits
    t_reduce.push_back(ms_since(t0));
  }

  float m[3] = {static_cast<float>(median(std::move(t_with))),
                static_cast<float>(median(std::move(t_without))),
                static_cast<float>(median(std::move(t_reduce)))};
  comm.all_reduce(m, 3, ReduceOp::kAverage);
  const double exposed = m[0] - m[1];
  // The share of the all-reduce time that overlapping hid (0 when the reduced step cost more).
  const double hidden = m[2] > 0 ? std::clamp(1.0 - exposed / m[2], 0.0, 1.0) : 0.0;
  if (comm.rank() == 0) {
    std::printf(
        "{\"bench\": \"comm_exposed\", \"model\": \"%s\", \"backend\": \"%s\", \"ranks\": %d, "
        "\"global_batch\": %lld, \"grad_mb\": %.2f, \"buckets\": %d, \"step_ms_reduced\": %.3f, "
        "\"step_ms_unreduced\": %.3f, \"exposed_ms\": %.3f, \"allreduce_ms\": %.3f, "
        "\"hidden\": %.3f}\n",
        info.name, comm.name().c_str(), w, static_cast<long long>(global),
        static_cast<double>(g.floats) * 4.0 / (1 << 20), buckets, m[0], m[1], exposed, m[2],
        w > 1 ? hidden : 0.0);
    std::fflush(stdout);
  }
}

}  // namespace strata::bench
