// The flags of `strata scale` (bench/scale_args.h holds what they set): parsed, then checked
// together (a model or an experiment file, a cluster file, a compute time or --measure).
#pragma once

#include <optional>

#include "bench/scale_args.h"
#include "cli/commands.h"

namespace strata::cli {

// The options of `strata scale ARGS`; nullopt when --help was given (the help is on stdout).
std::optional<scaling::ScaleOptions> parse_scale_flags(const Args& args);

}  // namespace strata::cli
