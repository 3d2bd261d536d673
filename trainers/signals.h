// Stop requests: SIGUSR1, SIGTERM, SIGINT (Ctrl-C) or SIGHUP (the terminal closed) make the
// training loop checkpoint every rank's state at the next step boundary and exit with
// kExitCheckpointed, so that a job script can requeue (`scontrol requeue $SLURM_JOB_ID`) and the
// next run continue with `--resume auto`. A second SIGINT while the first is pending ends the
// process at once, without a checkpoint.
//
// Under mpirun send SIGUSR1 to mpirun: Open MPI forwards SIGUSR1/SIGUSR2 to every rank, but on
// SIGINT, SIGTERM or SIGHUP mpirun kills the ranks itself (it cannot forward those), so a Ctrl-C
// there loses the steps since the last checkpoint. launch/run_local.sh and launch/slurm/run_job.sh
// turn Ctrl-C, SIGTERM and SIGHUP into a SIGUSR1 to the launcher and exit with 75 too. A signal
// that reaches only some ranks is enough: the loop agrees across ranks every step (one small
// all-reduce).
#pragma once

namespace strata {

// The documented exit code of a run that stopped on a signal after writing its checkpoint
// (EX_TEMPFAIL, "try again": the run is incomplete but resumable).
constexpr int kExitCheckpointed = 75;

inline constexpr const char kTrainCtrlC[] =
    "\nstrata: Ctrl-C: checkpointing at the next step, then exiting (Ctrl-C again: exit at once, "
    "without a checkpoint)\n";

// Installs the handlers of the stop signals above (idempotent). The handler only sets a flag
// (and, on a second SIGINT, restores the default action and raises it again). on_ctrl_c: a text
// with static storage written to stderr, when it is a terminal, on the first Ctrl-C (it should
// start with a newline: the terminal has echoed "^C"); the training loop's by default.
void install_stop_handlers(const char* on_ctrl_c = kTrainCtrlC);
// Whether a stop signal arrived since the last clear (this process only).
bool stop_requested();
// The signal that arrived first (SIGUSR1, SIGTERM, SIGINT or SIGHUP), 0 if none.
int stop_signal();
// Its name ("SIGINT"), or "no signal".
const char* stop_signal_name();
void clear_stop_request();

}  // namespace strata
