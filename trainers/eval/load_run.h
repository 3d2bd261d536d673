// A trained run brought back from its checkpoint, for the commands that use trained networks
// (`strata encode`, `strata sample`, `strata eval`): the checkpoint's config is parsed again
// (parse_experiment), the kind builds its networks on one process (LocalCommunicator) on the
// device the config's `device` key selects here (a checkpoint written on one device loads on any
// other), and the checkpoint's tensors are read into them. Results are read back explicitly.
#pragma once

#include <memory>
#include <string>

#include "core/data/dataset.h"
#include "core/data/reader.h"
#include "distributed/local_communicator.h"
#include "trainers/experiment.h"
#include "trainers/phase.h"
#include "trainers/run/checkpoint.h"
#include "trainers/state.h"

namespace strata {

struct LoadedRun {
  std::string checkpoint;  // the resolved .h5 file
  CheckpointMeta meta;
  Experiment experiment;
  LocalCommunicator comm;
  Device device;                      // where the networks live
  std::unique_ptr<DatasetInfo> data;  // the data set given to load_run, if any
  std::unique_ptr<Trainer> trainer;
  StateRegistry state;

  std::string kind() const { return experiment.trainer->kind(); }
  // The pixel scale the run trained on (data.scale, or the kind's default).
  PixelScale scale() const;
  // The network of `role`, or nullptr.
  Sequential* find_network(const std::string& role) const;
  // The network of `role`; throws naming the checkpoint and its kind when it has none.
  Sequential& network(const std::string& role) const;
};

// path_or_dir: a checkpoint file, a checkpoints/ folder or a run folder (resolve_checkpoint).
// data_pattern: shards the networks will see (checked against them by the kind's build), or "".
// initial_weights: leave the networks as the run built them from its seed (the state before its
// first step: the baseline a trained run is compared with) instead of reading the checkpoint.
// device: "auto", "cpu" or "cuda" (core/device_select.h) for where the networks are built, or ""
// for the run's own `device` key.
std::unique_ptr<LoadedRun> load_run(const std::string& path_or_dir,
                                    const std::string& data_pattern = "",
                                    bool initial_weights = false, const std::string& device = "");

}  // namespace strata
