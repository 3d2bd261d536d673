// strata train CONFIG.yaml [--set key=value]... [--run-dir DIR] [--resume auto|PATH]: runs an
// experiment file (configs/) through the shared training loop (trainers/loop.h).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "trainers/experiment.h"
#include "trainers/loop.h"
#include "trainers/signals.h"

namespace strata::cli {

namespace {

const char* kUsage =
    "usage: strata train CONFIG.yaml [--set key=value]... [--run-dir DIR] [--resume auto|PATH]\n"
    "                    [--threads N]\n"
    "\n"
    "Trains the experiment of CONFIG.yaml (see configs/ and docs/configuration.md). Every key is\n"
    "checked before any work. Under mpirun every rank runs it; rank 0 writes the run folder.\n"
    "\n"
    "  --set key=value   overrides a key of the file (dots for sections, list entries by\n"
    "                    index: --set trainer.batch_size=128 --set model.layers.1.units=64)\n"
    "  --run-dir DIR     the run folder: config.yaml, metrics.jsonl, checkpoints/, samples/\n"
    "                    (default runs/<config name>)\n"
    "  --resume auto     continue from the run folder's latest checkpoint (a new run if none)\n"
    "  --resume PATH     continue from a checkpoint file, checkpoints/ folder or run folder\n"
    "  --threads N       CPU threads per rank (OpenMP and OpenBLAS). Default: OMP_NUM_THREADS\n"
    "                    when set, else each rank's share of the CPUs it may use (ranks of\n"
    "                    one node that may use the same CPUs split them)\n"
    "\n"
    "Ctrl-C, SIGTERM, SIGHUP or SIGUSR1: every rank checkpoints at the next step and the run "
    "exits\n"
    "with code 75 (resumable: run the same command with --resume auto); a second Ctrl-C ends it "
    "at\n"
    "once. Under mpirun send SIGUSR1 to mpirun, or start with launch/run_local.sh, which does.\n"
    "A run folder holds one run: a new run in a folder that holds one is refused, and --resume\n"
    "with other settings is refused with the keys that differ.\n";

}  // namespace

int run_train(const Args& args) {
  install_stop_handlers();  // from the start: a signal during set-up still ends cleanly
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("%s", kUsage);
    return 0;
  }
  std::string config, run_dir, resume;
  int threads = 0;
  std::vector<Override> overrides;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      STRATA_CHECK(i + 1 < args.size(), a << " needs a value; see 'strata train --help'");
      return args[++i];
    };
    if (a == "--set") {
      overrides.push_back(parse_override(value()));
    } else if (a.rfind("--set=", 0) == 0) {
      overrides.push_back(parse_override(a.substr(6)));
    } else if (a == "--run-dir") {
      run_dir = value();
    } else if (a == "--resume") {
      resume = value();
    } else if (a == "--threads" || a.rfind("--threads=", 0) == 0) {
      const std::string v = a == "--threads" ? value() : a.substr(10);
      size_t used = 0;
      try {
        threads = std::stoi(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      STRATA_CHECK(used == v.size() && !v.empty() && threads >= 1 && threads <= 4096,
                   "--threads '" << v << "': expected an integer from 1 to 4096");
    } else if (!a.empty() && a[0] == '-') {
      STRATA_THROW("unknown option '" << a << "'; see 'strata train --help'");
    } else {
      STRATA_CHECK(config.empty(), "one experiment file, got '" << config << "' and '" << a
                                                                << "'; see 'strata train --help'");
      config = a;
    }
  }
  STRATA_CHECK(!config.empty(), "no experiment file given\n" << kUsage);
  const Experiment e = load_experiment(config, overrides);
  namespace fs = std::filesystem;
  if (run_dir.empty()) run_dir = (fs::path("runs") / fs::path(config).stem()).string();
  RunOptions o;
  o.run_dir = run_dir;
  o.resume = resume;
  o.threads = threads;
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
