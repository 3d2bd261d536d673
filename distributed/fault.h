// Ending a data-parallel job when one rank fails. A rank that catches a fatal error prints its
// message (with its rank, core/error.h) and calls abort_job: with more than one rank, every rank
// of the job is ended at once (MPI_Abort on MPI_COMM_WORLD; mpirun and srun then exit non-zero)
// instead of the others waiting in their next collective. A rank that crashes (a signal) is
// noticed by mpirun, which ends the others; a rank that hangs makes the others' collectives time
// out after distributed.timeout_s (Communicator::timeout_s), and they abort_job in turn. So a
// job never hangs: it ends within the timeout, non-zero, with the failing rank's message.
#pragma once

namespace strata {

// Flushes stdout and stderr and ends this process with exit_code; when this process is one rank
// of several (MPI initialised, world size > 1), ends every rank of the job (MPI_Abort).
[[noreturn]] void abort_job(int exit_code) noexcept;

}  // namespace strata
