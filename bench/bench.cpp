#include "bench/bench.h"

#include "core/error.h"

namespace strata::bench {

int run(const std::vector<std::string>&) { STRATA_THROW("strata bench: not implemented yet"); }

}  // namespace strata::bench
