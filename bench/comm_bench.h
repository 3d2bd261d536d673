// strata bench --comm [--bytes N] [--iters N] [--warmup N], run under mpirun.
// For each message size (4 KB..64 MB in powers of two, or --bytes), times the GradientReducer's
// path (Communicator::all_reduce_async with ReduceOp::kAverage on a host float buffer, waited) and
// a plain MPI_Allreduce(MPI_SUM, MPI_FLOAT) of the same bytes in the same run: `warmup` untimed
// operations, then the median of `iters` timed ones (each after a barrier), averaged over ranks.
// Prints on rank 0 one JSON line per size: {"bench": "comm", "backend", "ranks", "bytes",
// "algbw_gbps", "busbw_gbps", "mpi_busbw_gbps", "ratio"}, with algbw = bytes / time and
// busbw = algbw * 2(w-1)/w (nccl-tests' convention; 0 with one rank, said on stderr). ratio is the
// MPI time over the Communicator's (busbw / mpi_busbw with more than one rank); 0 when MPI is
// not in use (local backend).
#pragma once

#include "bench/args.h"

namespace strata::bench {

int run_comm_bench(const BenchOptions& options);

}  // namespace strata::bench
