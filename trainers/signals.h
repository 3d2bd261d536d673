// Stop requests for SLURM preemption and time limits: SIGUSR1 or SIGTERM makes the training loop
// checkpoint every rank's state at the next step boundary and exit with kExitCheckpointed, so a
// job script can requeue (`scontrol requeue $SLURM_JOB_ID`) and the next run continue with
// `--resume auto`. Under mpirun send SIGUSR1 (Open MPI forwards SIGUSR1/SIGUSR2 to every rank;
// a SIGTERM to mpirun makes it kill the ranks itself). A signal that reaches only some ranks is
// enough: the loop agrees across ranks every step (one small all-reduce).
#pragma once

namespace strata {

// The documented exit code of a run that stopped on a signal after writing its checkpoint
// (EX_TEMPFAIL, "try again": the run is incomplete but resumable).
constexpr int kExitCheckpointed = 75;

// Installs the SIGUSR1 and SIGTERM handlers (idempotent). The handler only sets a flag.
void install_stop_handlers();
// Whether a stop signal arrived since the last clear (this process only).
bool stop_requested();
// The signal that arrived (SIGUSR1 or SIGTERM), 0 if none.
int stop_signal();
void clear_stop_request();

}  // namespace strata
