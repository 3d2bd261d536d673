// strata train CONFIG.yaml [--set key=value]... [--run-dir DIR] [--resume auto|PATH]: runs an
// experiment file (configs/) through the shared training loop (trainers/loop.h). Its flags:
// cli/train_flags.h.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/train_flags.h"
#include "trainers/experiment.h"
#include "trainers/loop.h"
#include "trainers/signals.h"

namespace strata::cli {

int run_train(const Args& args) {
  install_stop_handlers();  // from the start: a signal during set-up still ends cleanly
  const std::optional<TrainFlags> flags = parse_train_flags(args);
  if (!flags) return 0;  // --help
  const Experiment e = load_experiment(flags->config, flags->overrides);
  namespace fs = std::filesystem;
  const std::string run_dir = flags->run_dir.empty()
                                  ? (fs::path("runs") / fs::path(flags->config).stem()).string()
                                  : flags->run_dir;
  RunOptions o;
  o.run_dir = run_dir;
  o.resume = flags->resume;
  o.threads = flags->threads;
  const RunResult r = run_experiment(e, o);
  if (r.stopped) return kExitCheckpointed;
  if (r.rank == 0) {
    std::printf("done: %lld steps, %.0f samples/s.", static_cast<long long>(r.steps),
                r.samples_per_s);
    for (const auto& kv : r.last_evaluation) std::printf(" %s %.5g", kv.first.c_str(), kv.second);
    std::printf(
        "\nrun folder %s: metrics.jsonl, loss.png, samples/ (pictures), checkpoints/ (latest: "
        "%s)\n",
        run_dir.c_str(), r.last_checkpoint.c_str());
  }
  return 0;
}

}  // namespace strata::cli
