// Internal to the training loop (trainers/loop.cpp): what one rank's run holds while it runs, and
// the parts of the run that work on it - its start (start.cpp: data, run folder, resume), one
// phase (phase.cpp), and the logging of steps (step_log.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "distributed/communicator.h"
#include "distributed/thread_plan.h"
#include "trainers/loop.h"
#include "trainers/phase.h"
#include "trainers/run/checkpoint.h"
#include "trainers/run/event_log.h"
#include "trainers/run/metrics_log.h"
#include "trainers/run/progress.h"
#include "trainers/run/run_folder.h"
#include "trainers/state.h"

namespace strata::loop {

struct RunState {
  RunState(const Experiment& experiment, const RunOptions& options, Communicator& c)
      : e(experiment), o(options), comm(c), root(c.rank() == 0) {}

  const Experiment& e;
  const RunOptions& o;
  Communicator& comm;
  const bool root;  // rank 0 writes the run folder and prints
  ThreadPlan threads;
  Device device;  // where this rank's networks train (the experiment's `device`)

  DatasetInfo train, test;
  DataConfig data;
  std::unique_ptr<Trainer> trainer;
  std::vector<Phase*> phases;
  StateRegistry state;

  RunStart start;        // how the run folder is used (rank 0's decision)
  CheckpointMeta meta;   // what checkpoints record; meta.pos: the last checkpoint's position
  RunPosition pos;       // where the run stands now
  bool resumed = false;  // continues a checkpoint
  int written_by = 0;    // ranks of the run that wrote that checkpoint
  std::unique_ptr<MetricsLog> metrics;         // rank 0
  std::unique_ptr<EventLog> events;            // rank 0, with logging.tensorboard
  std::unique_ptr<CheckpointDir> checkpoints;  // rank 0
  std::unique_ptr<Progress> progress;
  RunResult result;
  int64_t samples_run = 0;  // by this process, over all ranks' batches of its steps

  // A checkpoint at `at` (rank 0 writes it; every rank waits until it exists).
  void save(const RunPosition& at);
  std::string samples_dir() const;
};

// Whether any rank has a stop request (collective).
bool agree_on_stop(Communicator& comm);

// The run's start, in order: the thread plan, the data (every file opened and checked), the
// trainer and its state. Then where the run starts (rank 0 decides about the run folder, reads a
// checkpoint; every rank gets its state and position). False when there is nothing to train: the
// run is complete, or a stop was requested during the start (result says which).
void prepare(RunState& r);
bool locate_start(RunState& r);
// Opens the run folder for writing (rank 0: config.yaml, checkpoints/, metrics.jsonl, the events
// file) and prints
// the run's header.
void open_run_folder(RunState& r);

// Phase p from r.meta.pos (fresh, or from inside it when resumed there). Returns false when a
// stop request ended the run after its checkpoint.
bool run_phase(RunState& r, int64_t p);

}  // namespace strata::loop
