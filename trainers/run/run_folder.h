// A run folder is either one whole run or refused. `strata train` writes there
//   config.yaml, metrics.jsonl, loss.png, checkpoints/, samples/, events.out.tfevents.*
// (a run's entries; the last is TensorBoard's events file, event_log.h)
// and decides, before it writes anything, whether the run may start or continue in it:
//   - a new run (no --resume) needs a folder that holds none of a run's entries;
//   - --resume auto continues the folder's latest checkpoint; a folder whose earlier attempt
//     stopped before its first checkpoint is started over (its metrics.jsonl, loss.png, events
//     file and samples/ are removed, so no step is logged twice); an empty folder starts a new run;
//   - --resume PATH continues that checkpoint, in an empty folder or in one holding the same
//     experiment.
// Continuing needs the same experiment: the checkpoint's (or config.yaml's) keys must equal the
// new ones, except those that only say where and how the run executes (device, data paths and
// prefetch, logging, checkpoint, distributed other than sync_batchnorm: a checkpoint holds values,
// not devices, so a run continues on another device); the refusal lists the keys that differ.
// Records of metrics.jsonl after the checkpoint's step (logged before a kill, and logged again by
// the resumed run) are removed when the run continues. config.yaml is written only then, by
// begin_run_folder, once every check has passed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

struct RunStart {
  std::string checkpoint;            // to continue from; "" = from the first step
  bool start_over = false;           // an earlier attempt without a checkpoint is cleared
  std::vector<std::string> entries;  // the run's entries found in the folder
};

// The keys that may change when a run continues.
const std::vector<std::string>& keys_free_on_resume();

// Decides how a run starts in dir (see the top); throws strata::Error with what to do when the
// folder is refused. Reads only.
RunStart plan_run_start(const std::string& dir, const std::string& resume,
                        const std::string& resolved_yaml);

// Makes the folder ready for the run: creates it and samples/, clears an earlier attempt
// (start_over), drops metrics.jsonl records after resume_step (when continuing a checkpoint),
// and writes config.yaml (atomically). Returns a line saying what it cleared ("" if nothing).
std::string begin_run_folder(const std::string& dir, const RunStart& start,
                             const std::string& resolved_yaml, int64_t resume_step);

// Keeps the records of a metrics.jsonl whose step is at most `step` (rewritten atomically);
// returns how many it dropped.
int64_t truncate_metrics_after(const std::string& path, int64_t step);

}  // namespace strata
