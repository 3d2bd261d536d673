// Checkpoints: one HDF5 file per checkpoint, holding every tensor of a StateRegistry and where
// the run stands.
//
//   /net/<network>/<layer>.<param>   float32 datasets, one per parameter (and BatchNorm state)
//   /opt/<network>/state<k>          the optimizer's state tensors
//   attributes on /: format = "strata-checkpoint", version = 1, phase, epoch, step_in_epoch,
//     global_step, seed, world_size, and config (the resolved experiment YAML, so commands such
//     as `strata encode` can rebuild the networks from the checkpoint alone)
//
// A file is written atomically (core/atomic_file.h: a temporary name, renamed when complete), so a
// crash never leaves a half-written checkpoint under the final name. CheckpointDir keeps the last N
// files of a run folder's checkpoints/ and a `latest` text file naming the newest one (written the
// same way).
//
// Storage details: a rank-0 tensor is a scalar dataset, an empty one (optimizer state before the
// first step) a dataset of shape [0]; seed is an unsigned 64-bit attribute, the others int64, the
// strings variable-length UTF-8. The temporary file is fsync'ed before the rename. The reader
// checks and reads every item before it changes any tensor, so a failed read leaves the model as
// it was.
//
// Devices: the file holds values, not devices. Tensors on a device are copied to the host to be
// written and read into host memory, then copied to wherever the registered tensor lives (an empty
// one is made on its item's device, StateItem::device), so a checkpoint written on one device
// resumes on any other.
// write/read: checkpoint.cpp; CheckpointDir and resolve_checkpoint: checkpoint_dir.cpp.
//
// The random state needs no separate record: every draw is keyed by (seed, step, sample), so
// seed and global_step restore it; the data position is (epoch, step_in_epoch) of the phase.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "trainers/state.h"

namespace strata {

struct RunPosition {
  int64_t phase = 0;          // index into the trainer's phases
  int64_t epoch = 0;          // within the phase
  int64_t step_in_epoch = 0;  // the next step to run
  int64_t global_step = 0;    // steps run so far over all phases (keys random draws)
};

struct CheckpointMeta {
  RunPosition pos;
  uint64_t seed = 0;
  int world_size = 1;
  std::string config_yaml;  // the resolved experiment
};

// Writes every item of `state` and `meta` to path (atomically: path.tmp, then rename).
void write_checkpoint(const std::string& path, const StateRegistry& state,
                      const CheckpointMeta& meta);
// Reads path into the registered tensors. Every registered item must be in the file with the
// same number of values (an empty tensor is made with the stored shape on its item's device:
// optimizer state before the first step); a missing item or a shape mismatch throws naming the
// file, group and name.
// Items in the file that are not registered are an error too (a different model).
CheckpointMeta read_checkpoint(const std::string& path, StateRegistry& state);
// Only the attributes (cheap): to find the config and the position.
CheckpointMeta read_checkpoint_meta(const std::string& path);

class CheckpointDir {
 public:
  // dir: the run folder's checkpoints/ (created if missing); keep: how many files to keep (>= 1).
  CheckpointDir(std::string dir, int keep);
  // Writes "<dir>/step-<global_step, 9 digits>.h5", points `latest` at it, deletes the oldest
  // beyond `keep` (by step; the file just written is always kept, even when a resumed run left
  // files of higher steps). Returns the path.
  std::string save(const StateRegistry& state, const CheckpointMeta& meta);
  // The file `latest` names, if there is one (and it exists).
  std::optional<std::string> latest() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int keep_;
};

// A checkpoint path from what a user typed: a .h5 file, a checkpoints/ folder or a run folder
// (then its checkpoints/latest). Throws with what was looked for when there is none.
std::string resolve_checkpoint(const std::string& path_or_dir);

}  // namespace strata
