#!/usr/bin/env bash
# `strata train` on 1, 2 and 3 ranks gives the same model: the same training loss and test MSE
# (as printed, 6 significant digits). The model has dropout and BatchNorm (synchronised); the global batch
# of 50 splits unevenly over 3 ranks. Usage: train_ranks_test.sh STRATA MPIEXEC
set -euo pipefail
strata=$1
mpiexec=$2
source "$(dirname "$0")/../support/test_lib.sh"
make_workdir train_ranks_test

"$strata" data convert --format synthetic --count 400 --shape 1,8,8 --seed 4 --shard-size 150 \
  --out "$work/data" > /dev/null
cat > "$work/experiment.yaml" <<YAML
seed: 7
data: {train: $work/data, test: $work/data, scale: unit}
trainer: {kind: autoencoder, epochs: 2, batch_size: 50}
logging: {every_steps: 4, progress: lines}
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

# The last epoch's test MSE and the last logged training loss (averaged over ranks).
values() {
  grep '^train epoch 2 done' "$1" | grep -o 'test_mse [0-9.e-]*' | cut -d' ' -f2
  grep '^train epoch 2 step' "$1" | tail -1 | grep -o ' loss [0-9.e-]*' | cut -d' ' -f3
}
# close A B TOL: |A - B| <= TOL * |B|
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d;
  m = b < 0 ? -b : b; exit !(d <= t * m) }'; }

OMP_NUM_THREADS=1 "$strata" train "$work/experiment.yaml" --run-dir "$work/run0" > "$work/np0.log"
read -r -d '' mse0 loss0 < <(values "$work/np0.log"; printf '\0')
echo "1 rank (no mpirun): test_mse $mse0, loss $loss0"
status=0
for np in 2 3; do
  OMP_NUM_THREADS=1 "$mpiexec" -n "$np" --oversubscribe --allow-run-as-root \
    "$strata" train "$work/experiment.yaml" --run-dir "$work/run$np" > "$work/np$np.log"
  read -r -d '' mse loss < <(values "$work/np$np.log"; printf '\0')
  echo "$np ranks:            test_mse $mse, loss $loss"
  grep -q "; $np rank(s) (mpi)" "$work/np$np.log" || { echo "not $np ranks"; status=1; }
  # The same model: the test MSE and the logged loss (the mean over the global batches) to 1e-5
  # relative.
  close "$mse" "$mse0" 1e-5 || { echo "MISMATCH: test_mse on $np ranks"; status=1; }
  close "$loss" "$loss0" 1e-5 || { echo "MISMATCH: loss on $np ranks"; status=1; }
done
exit $status
