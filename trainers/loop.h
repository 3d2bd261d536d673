// The training loop shared by every trainer kind (trainers/phase.h): `strata train` calls
// run_experiment. For each phase of the trainer, from where a resumed run left off:
//
//   reader (this rank's slice of each global batch, order from (seed, phase, epoch))
//   -> learning rate = configured lr * schedule factor (trainers/schedule.h)
//   -> phase.step (data-parallel: ParallelNet reducers inside)
//   -> every logging.every_steps: values averaged over ranks -> metrics.jsonl and progress
//   -> every step: do all ranks agree to stop (trainers/signals.h)? then checkpoint and stop
//   -> checkpoint.every_steps, and at the end of each epoch and phase: a checkpoint
//   -> end of epoch: phase.evaluate (test metrics) and pictures (samples/)
//
// The run folder (rank 0 writes it): config.yaml (the resolved experiment), metrics.jsonl,
// checkpoints/ (trainers/run/checkpoint.h) and samples/; whether a run may start or continue in
// it is trainers/run/run_folder.h's decision, taken before anything is written. Rank 0 reads a
// checkpoint to resume and broadcasts it, so only rank 0 needs to see the run folder.
//
// Resume: the position (phase, epoch, step in epoch, global step) and every registered tensor
// come from the checkpoint; random draws are keyed by (seed, step, sample) and the data order by
// (seed, phase, epoch), so a resumed run continues exactly: bitwise with the same number of
// ranks, to rounding with a different number (sums then add in another order).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "distributed/communicator.h"
#include "trainers/experiment.h"

namespace strata {

struct RunOptions {
  std::string run_dir;  // required: where config.yaml, metrics.jsonl, checkpoints/, samples/ go
  std::string resume;   // "": a new run; "auto": the run folder's latest checkpoint if any; or a
                        // checkpoint path (a file, a checkpoints/ folder or a run folder)
  Communicator* comm = nullptr;  // tests: use this communicator instead of distributed.backend
  // Tests: called on every rank after each step with the global step count so far.
  std::function<void(int64_t)> after_step;
  bool quiet = false;  // no progress output (tests)
  int threads = 0;     // CPU threads per rank (--threads); 0: OMP_NUM_THREADS, else automatic
                       // (distributed/thread_plan.h)
};

struct RunResult {
  int64_t steps = 0;        // global steps at the end
  bool stopped = false;     // stopped on a signal after checkpointing (exit kExitCheckpointed)
  Metrics last_evaluation;  // of the last epoch of the last phase run
  std::string last_checkpoint;
  double samples_per_s = 0;  // over the steps this process ran
  int rank = 0;
};

RunResult run_experiment(const Experiment& e, const RunOptions& o);

}  // namespace strata
