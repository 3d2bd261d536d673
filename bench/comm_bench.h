// strata bench --comm [--bytes N] [--iters N] [--warmup N] [--model NAME] [--steps N]
//                     [--batch N], run under mpirun.
// For each message size (4 KB..64 MB in powers of two, or --bytes), times the GradientReducer's
// path as trainers use it (Communicator::all_reduce_async with ReduceOp::kSum on a host float
// buffer, waited; MpiCommunicator runs it on its communication thread) and a plain
// MPI_Allreduce(MPI_SUM, MPI_FLOAT) of the same bytes in the same run, alternately: `warmup`
// untimed rounds, then the median of `iters` timed ones of each (each after a barrier), averaged
// over ranks.
// Prints on rank 0 one JSON line per size: {"bench": "comm", "backend", "ranks", "bytes",
// "algbw_gbps", "busbw_gbps", "mpi_busbw_gbps", "ratio"}, with algbw = bytes / time and
// busbw = algbw * 2(w-1)/w (nccl-tests' convention; 0 with one rank, said on stderr). ratio is the
// MPI time over the Communicator's (busbw / mpi_busbw with more than one rank); 0 when MPI is
// not in use (local backend).
// Then, unless --steps 0, the exposed communication time of a model's step (bench/exposed_comm.h;
// default sae_finetune with its global batch of 256 split over the ranks).
#pragma once

#include "bench/args.h"

namespace strata::bench {

int run_comm_bench(const BenchOptions& options);

}  // namespace strata::bench
