// strata: the command-line front end. The only place that catches strata::Error: it prints the
// message once and exits non-zero.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <unistd.h>

#include "cli/commands.h"
#include "core/blas.h"
#include "core/error.h"
#include "distributed/communicator.h"
#include "distributed/fault.h"  // defines: abort_job

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const strata::cli::Args&);
};

constexpr Command kCommands[] = {
    {"train", "train a model from a YAML experiment file", strata::cli::run_train},
    {"bench", "measure training throughput of the benchmark models", strata::cli::run_bench},
    {"data", "convert images to HDF5 shards and inspect data sets", strata::cli::run_data},
    {"encode", "write the codes of a trained encoder for a data set", strata::cli::run_encode},
    {"sample", "draw images from a trained GAN generator", strata::cli::run_sample},
    {"eval", "evaluate a checkpoint: MSE, accuracy, Frechet distance", strata::cli::run_eval},
    {"export", "write a trained network as an ONNX model", strata::cli::run_export},
    {"plot", "draw a run's loss or other metrics against the step (PNG)", strata::cli::run_plot},
    {"scale", "predict data-parallel scaling of a model on a cluster", strata::cli::run_scale},
    {"info", "print the build configuration (BLAS, threads, CUDA)", strata::cli::run_info},
    {"config-doc", "write the configuration reference (docs/configuration.md)",
     strata::cli::run_config_doc},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: strata <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-11s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'strata <command> --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* core = strata::blas_preferred_coretype()) {
    // OpenBLAS fell back to generic kernels on a CPU it does not know; reload it with the kernels
    // this CPU supports (see core/blas.h). If the exec fails, carry on with the slow kernels.
    // The resolved path keeps the process name 'strata' (exec of /proc/self/exe shows 'exe').
    setenv("OPENBLAS_CORETYPE", core, 1);
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len > 0) {
      self[len] = '\0';
      execv(self, argv);
    }
  }
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  // Errors before any communicator exists (a config key) still name the rank that saw them.
  if (const int rank = strata::launcher_rank(); rank >= 0) strata::set_error_rank(rank);
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(strata::cli::Args(argv + 2, argv + argc));
    } catch (const strata::Error& e) {
      std::fprintf(stderr, "strata %s: error: %s\n", c.name, e.what());
      strata::abort_job(1);  // under mpirun, ends every rank instead of leaving them waiting
    } catch (const std::exception& e) {
      std::fprintf(stderr, "strata %s: internal error: %s\n", c.name, e.what());
      strata::abort_job(1);
    }
  }
  std::fprintf(stderr, "strata: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
