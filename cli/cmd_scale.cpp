// strata scale: see bench/scaling_report.h; its flags: cli/scale_flags.h.
#include <cstdio>

#include "bench/scaling_report.h"
#include "cli/commands.h"
#include "cli/scale_flags.h"

namespace strata::cli {

int run_scale(const Args& args) {
  const std::optional<scaling::ScaleOptions> o = parse_scale_flags(args);
  return o ? scaling::run_scale(*o, stdout) : 0;
}

}  // namespace strata::cli
