#!/usr/bin/env bash
# `strata train` on 1, 2 and 3 ranks gives the same model: the same training loss and test MSE
# (as printed, 5 decimals). The model has dropout and BatchNorm (synchronised); the global batch
# of 50 splits unevenly over 3 ranks. Usage: train_ranks_test.sh STRATA MPIEXEC
set -euo pipefail
strata=$1
mpiexec=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$strata" data convert --format synthetic --count 400 --shape 1,8,8 --seed 4 --shard-size 150 \
  --out "$work/data" > /dev/null
cat > "$work/experiment.yaml" <<YAML
seed: 7
data: {train: $work/data, test: $work/data, scale: unit}
trainer: {kind: autoencoder, epochs: 2, batch_size: 50, log_every: 4}
optimizer: {kind: adam, lr: 0.003}
distributed: {bucket_mb: 0.001, sync_batchnorm: true, timeout_s: 30}
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: flatten}
    - {type: dense, units: 32}
    - {type: batchnorm}
    - {type: relu}
    - {type: dropout, rate: 0.1}
    - {type: dense, units: 64}
    - {type: sigmoid}
YAML

# The last epoch's summary line: "epoch 2 done: train loss X, test mse Y".
summary() { grep '^epoch 2 done' "$1"; }

OMP_NUM_THREADS=1 "$strata" train "$work/experiment.yaml" > "$work/np0.log"
want=$(summary "$work/np0.log")
echo "1 rank (no mpirun): $want"
status=0
for np in 2 3; do
  OMP_NUM_THREADS=1 "$mpiexec" -n "$np" --oversubscribe --allow-run-as-root \
    "$strata" train "$work/experiment.yaml" > "$work/np$np.log"
  got=$(summary "$work/np$np.log")
  echo "$np ranks:            $got"
  grep -q "distributed: mpi, $np rank(s)" "$work/np$np.log" || { echo "not $np ranks"; status=1; }
  [[ "$got" == "$want" ]] || { echo "MISMATCH on $np ranks"; status=1; }
done
exit $status
