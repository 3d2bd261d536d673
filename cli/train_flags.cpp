#include "cli/train_flags.h"

#include "cli/flags.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Trains the experiment of CONFIG.yaml (see configs/ and docs/configuration.md). Every key is\n"
    "checked before any work. Under mpirun every rank runs it; rank 0 writes the run folder.";

constexpr const char* kFooter =
    "Ctrl-C, SIGTERM, SIGHUP or SIGUSR1: every rank checkpoints at the next step and the run "
    "exits\n"
    "with code 75 (resumable: run the same command with --resume auto); a second Ctrl-C ends it "
    "at\n"
    "once. Under mpirun send SIGUSR1 to mpirun, or start with launch/run_local.sh, which does.\n"
    "A run folder holds one run: a new run in a folder that holds one is refused, and --resume\n"
    "with other settings is refused with the keys that differ.";

}  // namespace

std::optional<TrainFlags> parse_train_flags(const Args& args) {
  TrainFlags f;
  std::vector<std::string> sets;
  FlagParser app("strata train", kDescription);
  app.footer(kFooter);
  app.add_option("CONFIG.yaml", f.config, "the experiment file")->required();
  app.add_option("--set", sets,
                 "overrides a key of the file (dots for sections, list entries by index: --set "
                 "trainer.batch_size=128 --set model.layers.1.units=64); repeatable, in order")
      ->type_name("KEY=VALUE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);  // one value per --set: the next argument may be CONFIG.yaml
  app.add_option("--run-dir", f.run_dir,
                 "the run folder: config.yaml, metrics.jsonl, checkpoints/, samples/ (default "
                 "runs/<config name>)")
      ->type_name("DIR");
  app.add_option("--resume", f.resume,
                 "auto: continue from the run folder's latest checkpoint (a new run if none); "
                 "PATH: from a checkpoint file, checkpoints/ folder or run folder")
      ->type_name("auto|PATH");
  app.add_option("--threads", f.threads,
                 "CPU threads per rank (OpenMP and OpenBLAS). Default: OMP_NUM_THREADS when set, "
                 "else each rank's share of the CPUs it may use (ranks of one node that may use "
                 "the same CPUs split them)")
      ->check(int_range(1, 4096));
  if (!parse_flags(app, args)) return std::nullopt;
  for (const std::string& s : sets) f.overrides.push_back(parse_override(s));
  return f;
}

}  // namespace strata::cli
