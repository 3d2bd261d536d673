#!/usr/bin/env bash
# `strata train` stopped by SIGUSR1 checkpoints and exits with 75 (kExitCheckpointed); under
# mpirun the signal goes to mpirun, which forwards it to every rank. `--resume auto` then
# continues from that checkpoint, and a new run in the same folder without --resume is refused.
# Usage: train_signal_test.sh STRATA MPIEXEC SOURCE_DIR
set -uo pipefail
strata=$1
mpiexec=$2
src=$3
source "$(dirname "$0")/../support/test_lib.sh"
make_workdir train_signal_test
"$strata" data convert --format synthetic --count 200 --shape 1,8,8 --classes 4 --seed 3 \
  --out "$work/data" > /dev/null || exit 1
config="$src/configs/smoke/autoencoder.yaml"
sets=(--set "data.train=$work/data" --set "data.test=$work/data" --set trainer.epochs=100000)
status=0

# check_stop NAME LAUNCHER... : starts a long run in the background, sends SIGUSR1 to the process
# it started (strata itself, or mpirun) once the run has logged its first records, and checks the
# exit code, the message and the checkpoint.
check_stop() {
  local name=$1; shift
  local dir="$work/$name"
  "$@" train "$config" "${sets[@]}" --run-dir "$dir" > "$work/$name.log" 2>&1 &
  local pid=$!
  wait_for 300 test -s "$dir/metrics.jsonl"
  kill -USR1 "$pid"
  wait "$pid"
  local code=$?
  echo "$name: exit code $code after the signal"
  [[ $code -eq 75 ]] || { echo "FAIL: expected 75"; tail -5 "$work/$name.log"; status=1; }
  grep -q "stop requested" "$work/$name.log" || { echo "FAIL: no stop message"; status=1; }
  [[ -f "$dir/checkpoints/latest" ]] || { echo "FAIL: no checkpoint"; status=1; }
  # A new run in the same folder is refused; --resume auto continues (stopped again at once).
  if "$@" train "$config" "${sets[@]}" --run-dir "$dir" > "$work/$name.again" 2>&1; then
    echo "FAIL: a second run in $dir was not refused"; status=1
  fi
  grep -q "already holds a run" "$work/$name.again" || { echo "FAIL: no refusal message"; status=1; }
  "$@" train "$config" "${sets[@]}" --run-dir "$dir" --resume auto > "$work/$name.resume" 2>&1 &
  pid=$!
  wait_for 300 grep -q "resuming from" "$work/$name.resume"
  kill -USR1 "$pid"
  wait "$pid"
  code=$?
  grep -q "resuming from" "$work/$name.resume" || { echo "FAIL: did not resume"; status=1; }
  [[ $code -eq 75 ]] || { echo "FAIL: resumed run: expected 75, got $code"; status=1; }
  echo "$name: resumed from $(grep -o 'resuming from [^:]*' "$work/$name.resume")"
}

export OMP_NUM_THREADS=1
check_stop single "$strata"
check_stop mpirun2 "$mpiexec" -n 2 --oversubscribe --allow-run-as-root "$strata"
exit $status
