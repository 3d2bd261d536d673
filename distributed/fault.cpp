#include "distributed/fault.h"

#include <cstdio>
#include <cstdlib>

#if STRATA_WITH_MPI
#include <mpi.h>
#endif

namespace strata {

void abort_job(int exit_code) noexcept {
  // MPI_Abort ends the process without flushing stdio, so the error just printed would be lost.
  std::fflush(stdout);
  std::fflush(stderr);
#if STRATA_WITH_MPI
  int initialised = 0, finalized = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalized);
  if (initialised && !finalized) {
    int world = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    // The other ranks may be waiting in a collective this rank will never join: end them all now
    // rather than after their timeout. Callable from any thread; mpirun then exits non-zero.
    if (world > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  }
#endif
  // One process: a normal exit, so that open files are flushed and MPI (if any) is finalised.
  std::exit(exit_code);
}

}  // namespace strata
