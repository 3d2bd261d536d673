#include "core/error.h"
#include "trainers/cli/commands.h"

namespace strata::cli {

int run_train(const Args&) { STRATA_THROW("strata train: not implemented yet"); }

}  // namespace strata::cli
