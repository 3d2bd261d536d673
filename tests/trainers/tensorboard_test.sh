#!/usr/bin/env bash
# TensorBoard's events files of real runs, read back with the tensorboard Python package
# (tests/trainers/tensorboard_check.py): the scalars of metrics.jsonl and the pictures of samples/
# for an autoencoder and a GAN; a run killed after logging past its checkpoint (its `latest` set
# back to an earlier checkpoint, a torn record at the end of its events file) and resumed with
# --resume auto, which holds every step once and in order; two ranks writing one file (rank 0);
# logging.tensorboard: false writing none. TensorBoard lists every run of the folder.
# Usage: tensorboard_test.sh STRATA MPIEXEC SOURCE_DIR
set -uo pipefail
strata=$1
mpiexec=$2
src=$3
source "$(dirname "$0")/../support/test_lib.sh"
check="$src/tests/trainers/tensorboard_check.py"
if ! python3 -c "import tensorboard" 2> /dev/null; then
  echo "FAIL: the tensorboard Python package is missing; run launch/setup.sh (it installs it)"
  exit 1
fi
make_workdir tensorboard_test
export OMP_NUM_THREADS=1
"$strata" data convert --format synthetic --count 120 --shape 1,8,8 --classes 4 --seed 5 \
  --out "$work/train" > /dev/null || exit 1
"$strata" data convert --format synthetic --count 48 --shape 1,8,8 --classes 4 --seed 6 \
  --out "$work/test" > /dev/null || exit 1
data=(--set "data.train=$work/train" --set "data.test=$work/test" --set logging.progress=lines)
status=0

train() {  # train NAME CONFIG [strata args...]: a run in $work/runs/NAME
  local name=$1 config=$2
  shift 2
  if ! "$strata" train "$src/configs/smoke/$config.yaml" "${data[@]}" --run-dir "$work/runs/$name" \
    "$@" > "$work/$name.log" 2>&1; then
    echo "FAIL: $name did not train:"
    tail -5 "$work/$name.log"
    status=1
  fi
}

train autoencoder autoencoder --set logging.every_steps=2
train gan gan

# Checkpoints every 2 steps, all kept; the run is then set back to its checkpoint at step 6 as if
# killed there after logging further, with half a record at the end of its events file.
train resumed autoencoder --set logging.every_steps=3 --set checkpoint.every_steps=2 \
  --set checkpoint.keep=100
run="$work/runs/resumed"
back=$(ls "$run/checkpoints" | grep -m1 'step-0*6\b' || ls "$run/checkpoints" | grep -m1 '0006')
if [[ -z $back ]]; then
  echo "FAIL: no checkpoint at step 6 in $run/checkpoints: $(ls "$run/checkpoints")"
  status=1
else
  echo "$back" > "$run/checkpoints/latest"
  events=$(ls "$run"/events.out.tfevents.*)
  printf '\x40\0\0\0\0\0\0\0torn' >> "$events"
  train resumed autoencoder --set logging.every_steps=3 --set checkpoint.every_steps=2 \
    --set checkpoint.keep=100 --resume auto
  grep -q "resuming from" "$work/resumed.log" || { echo "FAIL: resumed did not resume"; status=1; }
  grep "dropped" "$work/resumed.log"
  grep -q "events file: dropped [1-9][0-9]* record(s) after step 6" "$work/resumed.log" ||
    { echo "FAIL: the resume dropped no events logged after step 6"; status=1; }
  [[ -e $events ]] && { echo "FAIL: the earlier events file $events is still there"; status=1; }
fi

# Two ranks: rank 0 writes the one events file.
if ! "$mpiexec" -n 2 --oversubscribe --allow-run-as-root "$strata" train \
  "$src/configs/smoke/stacked_ae.yaml" "${data[@]}" --set logging.every_steps=2 \
  --run-dir "$work/runs/ranks2" > "$work/ranks2.log" 2>&1; then
  echo "FAIL: ranks2 did not train:"
  tail -5 "$work/ranks2.log"
  status=1
fi

python3 "$check" runs "$work/runs" autoencoder gan resumed ranks2 || status=1

# Control: the check fails on a file that holds its steps twice.
mkdir -p "$work/dup"
cp -r "$work/runs/autoencoder" "$work/dup/"
dup=$(ls "$work"/dup/autoencoder/events.out.tfevents.*)
cat "$dup" "$dup" > "$work/dup/twice" && mv "$work/dup/twice" "$dup"
if python3 "$check" runs "$work/dup" autoencoder > "$work/dup.log" 2>&1; then
  echo "FAIL: the check passed a file holding every step twice"
  status=1
fi
grep -q "after step" "$work/dup.log" || { echo "FAIL: the control failed for another reason:"; cat "$work/dup.log"; status=1; }

# Off: no events file.
"$strata" train "$src/configs/smoke/autoencoder.yaml" "${data[@]}" --set logging.tensorboard=false \
  --run-dir "$work/off" > "$work/off.log" 2>&1 || { echo "FAIL: off did not train"; status=1; }
python3 "$check" none "$work/off" || status=1
exit $status
