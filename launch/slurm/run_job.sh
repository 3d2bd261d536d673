#!/usr/bin/env bash
# The body of the batch scripts (inside an allocation): runs `strata train` on every task with
# srun --mpi=pmix, forwards SIGUSR1 to it, and requeues the job when strata stopped on the signal
# (exit 75: checkpointed, resumable). Environment:
#   CONFIG   the experiment file (required)
#   RUN_DIR  the run folder (default runs/<job name>-<job id>; a requeued job keeps its id)
#   BUILD    the build folder (default build)
#   LAUNCH   srun (default) or mpirun (mpirun inside the allocation, for sites without PMIx srun)
# Extra arguments go to `strata train`.
set -uo pipefail
: "${CONFIG:?set CONFIG to the experiment file, e.g. CONFIG=configs/fashion_stacked_ae_classifier.yaml}"
cd "${SLURM_SUBMIT_DIR:-.}"
BUILD=${BUILD:-build}
RUN_DIR=${RUN_DIR:-runs/${SLURM_JOB_NAME:-strata}-${SLURM_JOB_ID:-local}}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
echo "run_job.sh: job ${SLURM_JOB_ID:-?} restart ${SLURM_RESTART_COUNT:-0} on $(hostname):" \
  "${SLURM_NTASKS:-1} task(s), $OMP_NUM_THREADS thread(s) each, run folder $RUN_DIR"

cmd=("$BUILD/bin/strata" train "$CONFIG" --run-dir "$RUN_DIR" --resume auto "$@")
if [[ ${LAUNCH:-srun} == mpirun ]]; then
  root=(); [[ $(id -u) -eq 0 ]] && root=(--allow-run-as-root)
  mpirun "${root[@]}" -x OMP_NUM_THREADS "${cmd[@]}" &
else
  srun --mpi=pmix --kill-on-bad-exit=1 "${cmd[@]}" &
fi
pid=$!
# bash runs a trap only when the foreground command ends: the launcher runs in the background
# and the script waits for it, so USR1 is forwarded at once (srun and mpirun pass it to every
# rank).
# Only a USR1 (the time limit's warning, or `scancel --signal=USR1 --batch`) requeues the job: a
# plain scancel sends SIGTERM, strata also checkpoints then, but the job must end.
got_usr1=0
trap 'echo "run_job.sh: SIGUSR1, asking strata to checkpoint"; got_usr1=1; kill -USR1 "$pid"' USR1
while true; do
  wait "$pid"
  code=$?
  kill -0 "$pid" 2> /dev/null || break   # a trap interrupted wait: wait again until it ends
done
echo "run_job.sh: strata exited with $code"
if [[ $code -eq 75 && $got_usr1 -eq 1 && -n ${SLURM_JOB_ID:-} ]]; then
  echo "run_job.sh: checkpointed; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
  sleep 60  # the requeue ends this script (exiting first could end the job before it takes)
  exit 0
fi
exit "$code"
