// run_experiment: one run through its parts (trainers/loop/): the start, each phase, the end.
#include "trainers/loop.h"

#include <chrono>
#include <memory>

#include "core/error.h"
#include "trainers/loop/run_state.h"
#include "trainers/plot/loss_curve.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;

// The run on comm; run_experiment below marks comm abandoned when an exception leaves it.
RunResult run_on(const Experiment& e, const RunOptions& o, Communicator& comm) {
  loop::RunState r(e, o, comm);
  r.result.rank = comm.rank();
  loop::prepare(r);
  if (!loop::locate_start(r)) return r.result;
  loop::open_run_folder(r);
  const auto run_start = Clock::now();
  for (int64_t p = r.pos.phase; p < static_cast<int64_t>(r.phases.size()); ++p)
    if (!loop::run_phase(r, p)) return r.result;
  if (r.root) update_loss_curve(o.run_dir);  // the finished run's loss.png
  const double secs = std::chrono::duration<double>(Clock::now() - run_start).count();
  r.result.steps = r.pos.global_step;
  r.result.samples_per_s = secs > 0 ? r.samples_run * comm.size() / secs : 0;
  return r.result;
}

}  // namespace

RunResult run_experiment(const Experiment& e, const RunOptions& o) {
  STRATA_CHECK(!o.run_dir.empty(), "a run needs a run folder (--run-dir)");
  std::unique_ptr<Communicator> owned;
  Communicator* comm = o.comm;
  if (comm == nullptr) {
    owned = make_communicator(e.distributed, e.device);
    comm = owned.get();
  }
  try {
    return run_on(e, o, *comm);
  } catch (const std::exception& error) {
    // This rank leaves the run's collectives unfinished; the other ranks may be inside one.
    comm->abandon(error.what());
    throw;
  }
}

}  // namespace strata
