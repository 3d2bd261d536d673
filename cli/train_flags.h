// The flags of `strata train`: the experiment file, its --set overrides (in the order given:
// a later one wins), the run folder, --resume and --threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "trainers/experiment.h"  // defines: Override

namespace strata::cli {

struct TrainFlags {
  std::string config;               // CONFIG.yaml, the experiment file
  std::vector<Override> overrides;  // --set key=value, repeatable
  std::string run_dir;              // --run-dir DIR (empty: runs/<config name>)
  std::string resume;               // --resume auto|PATH (empty: a new run)
  int threads = 0;                  // --threads N (0: OMP_NUM_THREADS or the rank's CPU share)
};

// The flags of `strata train ARGS`; nullopt when --help was given (the help is on stdout).
std::optional<TrainFlags> parse_train_flags(const Args& args);

}  // namespace strata::cli
