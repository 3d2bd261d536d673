#!/usr/bin/env bash
# The `graphs` stage of tests/device/check.sh, on the GPU machine: whole-step CUDA graphs and
# data-parallel training on the GPU.
#   - every configs/smoke/*.yaml (every trainer kind: autoencoder, stacked stages and classifier,
#     GAN) trains on the GPU with cuda_graphs on and off: the metrics (without timings) and the
#     final checkpoint must be equal bit for bit, and the graph run must have replayed steps;
#   - 2 ranks with the MPI backend on the one GPU give the parameters of 1 rank to rounding
#     (checkpoint_compare, relative 1e-4), with cuda_graphs on (MPI steps run eagerly);
#   - the NCCL backend trains with 1 rank, graphs on.
# Usage: tests/device/graphs.sh WORK_DIR   (strata, checkpoint_digest, checkpoint_compare on PATH)
set -uo pipefail
work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/device/lib.sh"
device_setup
data+=(--set device=cuda)
fingerprint() {  # fingerprint RUN: metrics without timings, then the last checkpoint's digest
  sed -E 's/, "(samples_per_s|data_wait_ms)": [^,}]*//g' "$1/metrics.jsonl"
  checkpoint_digest "$1/checkpoints/$(cat "$1/checkpoints/latest")"
}
last_checkpoint() { echo "$1/checkpoints/$(cat "$1/checkpoints/latest")"; }

for config in "$src"/configs/smoke/*.yaml; do
  name=$(basename "$config" .yaml)
  ok=1
  for graphs in true false; do
    strata train "$config" "${data[@]}" --set cuda_graphs=$graphs --run-dir "$work/$name-$graphs" \
      > "$work/$name-$graphs.log" 2>&1 || { fail "$name, cuda_graphs $graphs"; tail -n 5 "$work/$name-$graphs.log"; ok=0; }
  done
  ((ok)) || continue
  if cmp -s <(fingerprint "$work/$name-true") <(fingerprint "$work/$name-false"); then
    echo "$name: graph replay = eager, bit for bit ($(grep -o 'cuda graphs: [^;]*' "$work/$name-true.log" | tail -1))"
  else
    fail "$name: the graph run differs from the eager run"
    diff <(fingerprint "$work/$name-true") <(fingerprint "$work/$name-false") | head -n 6
  fi
  grep -q "cuda graphs: [1-9]" "$work/$name-true.log" || fail "$name: no step was captured"
done

echo "--- 2 ranks (MPI, one GPU) against 1 rank"
cfg=$src/configs/smoke/autoencoder.yaml
strata train "$cfg" "${data[@]}" --run-dir "$work/dp1" > "$work/dp1.log" 2>&1 || fail "1 rank"
mpirun -np 2 strata train "$cfg" "${data[@]}" --set distributed.backend=mpi \
  --run-dir "$work/dp2" > "$work/dp2.log" 2>&1 || { fail "2 ranks, mpi"; tail -n 5 "$work/dp2.log"; }
if [[ -f $work/dp1/checkpoints/latest && -f $work/dp2/checkpoints/latest ]]; then
  checkpoint_compare "$(last_checkpoint "$work/dp1")" "$(last_checkpoint "$work/dp2")" 1e-4 | tail -n 1 \
    || fail "2 ranks do not give 1 rank's parameters to rounding"
fi

echo "--- NCCL, 1 rank, graphs on"
mpirun -np 1 strata train "$cfg" "${data[@]}" --set distributed.backend=nccl \
  --run-dir "$work/nccl1" > "$work/nccl1.log" 2>&1 || { fail "nccl, 1 rank"; tail -n 5 "$work/nccl1.log"; }
exit $status
