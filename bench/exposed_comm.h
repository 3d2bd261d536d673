// The exposed communication time of a benchmark model's training step (part of
// `strata bench --comm`, under mpirun): the step time with gradient reduction minus the step time
// without it, the difference that overlapping the all-reduce with the backward pass did not hide.
//
// Both steps are the trainers' own (trainers/autoencoder_step.h, gan_step.h) on resident data,
// with the model's global batch split over the ranks; they are timed alternately, each between
// two barriers (a synchronous step lasts as long as its slowest rank), `warmup` untimed rounds then
// the median of `steps` timed ones, averaged over ranks. For reference the same gradient bytes are
// also all-reduced alone (blocking, bucket by bucket as the reducer does) and timed: hidden = 1 -
// exposed / that time.
//
// Prints on rank 0 one JSON line: {"bench": "comm_exposed", "model", "ranks", "global_batch",
// "grad_mb", "buckets", "step_ms_reduced", "step_ms_unreduced", "exposed_ms", "allreduce_ms",
// "hidden"}.
#pragma once

#include "bench/args.h"
#include "distributed/communicator.h"

namespace strata::bench {

void run_exposed_comm(Communicator& comm, const BenchOptions& options);

}  // namespace strata::bench
