// strata bench: see bench/bench.h; its flags: cli/bench_flags.h.
#include "bench/bench.h"
#include "cli/bench_flags.h"
#include "cli/commands.h"

namespace strata::cli {

int run_bench(const Args& args) {
  const std::optional<bench::BenchOptions> o = parse_bench_flags(args);
  return o ? bench::run(*o) : 0;
}

}  // namespace strata::cli
