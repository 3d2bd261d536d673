// strata info: what this build is and what it runs on.
#include <cstdio>

#include <cblas.h>

#include "core/blas.h"
#include "trainers/cli/commands.h"

namespace strata::cli {

int run_info(const Args&) {
  std::printf("strata 0.1.0\n");
  std::printf("cpu threads: %d\n", cpu_threads());
  std::printf("blas: %s\n", openblas_get_config());
#ifdef STRATA_WITH_CUDA
  std::printf("cuda: built\n");
#else
  std::printf("cuda: not built\n");
#endif
  return 0;
}

}  // namespace strata::cli
