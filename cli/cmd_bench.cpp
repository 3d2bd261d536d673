// strata bench: see bench/bench.h.
#include "bench/bench.h"
#include "cli/commands.h"

namespace strata::cli {

int run_bench(const Args& args) {
  return bench::run(args);
}

}  // namespace strata::cli
