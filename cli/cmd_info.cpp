// strata info: what this build is and what it runs on.
#include <cstdio>
#include <string>

#include <cblas.h>

#include "core/blas.h"
#include "core/cpu_threads.h"
#ifdef STRATA_WITH_CUDA
#include "core/cuda/device.h"
#endif
#include "cli/commands.h"
#include "cli/flags.h"
#if STRATA_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif

namespace strata::cli {

int run_info(const Args& args) {
  FlagParser app("strata info", "Prints the build configuration: BLAS, threads, CUDA, MPI, NCCL.");
  if (!parse_flags(app, args)) return 0;
  std::printf("strata 0.1.0\n");
  std::printf("cpu threads: %d\n", cpu_threads());
  std::printf("blas: %s, kernels %s\n", openblas_get_config(), blas_coretype());
#ifdef STRATA_WITH_CUDA
  std::string why;
  const int n = cuda::device_count(&why);
  std::printf("cuda: built, %d device(s)%s%s\n", n, n ? "" : ": ", n ? "" : why.c_str());
  for (int i = 0; i < n; ++i) std::printf("  gpu %d: %s\n", i, cuda::device_name(i).c_str());
#else
  std::printf("cuda: not built\n");
#endif
#if STRATA_WITH_MPI
  std::printf("mpi: %s, CUDA-aware: %s\n", MpiCommunicator::library_version().c_str(),
              MpiCommunicator::cuda_aware() ? "yes" : "no");
#else
  std::printf("mpi: not built\n");
#endif
#if STRATA_WITH_NCCL
  std::printf("nccl: built\n");
#else
  std::printf("nccl: not built\n");
#endif
  return 0;
}

}  // namespace strata::cli
