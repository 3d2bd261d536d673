// The flags of `strata bench` (bench/args.h holds what they set): parsed, then checked together
// (one benchmark at a time, a known model, a built device).
#pragma once

#include <optional>

#include "bench/args.h"
#include "cli/commands.h"

namespace strata::cli {

// The options of `strata bench ARGS`; nullopt when --help was given (the help is on stdout).
std::optional<bench::BenchOptions> parse_bench_flags(const Args& args);

}  // namespace strata::cli
