#!/usr/bin/env bash
# The main job: Fashion-MNIST (Debian's dataset-fashion-mnist) converted to HDF5 shards under
# data/ (once), then the stacked autoencoder of configs/fashion_stacked_ae_classifier.yaml (784-1000-500-250-30:
# greedy layer-wise pretraining, fine-tuning of the mirrored stack, a softmax head on the code)
# trained with mpirun in a new run folder under runs/: on a machine with GPUs (and a CUDA build:
# launch/setup.sh --cuda ON) one rank per GPU, each training on its GPU (NCCL between several,
# every step replayed as a CUDA graph); without, 2 ranks on the CPU.
#   launch/main_job.sh [BUILD_DIR]     (default build; run launch/setup.sh first)
#   STRATA_RANKS=4 launch/main_job.sh  (another number of ranks; the result is the same model)
#   STRATA_DEVICE=cpu launch/main_job.sh   (the CPU even where there are GPUs)
#   FASHION_MNIST_DIR=DIR launch/main_job.sh   (the four .gz files elsewhere than Debian's place)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
src=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
out=data/fashion-mnist
[[ -f $src/train-images-idx3-ubyte.gz ]] || {
  echo "main_job.sh: $src is missing; run launch/setup.sh (it installs dataset-fashion-mnist)" >&2
  exit 1
}
for split in train:train t10k:test; do
  name=${split%%:*} dir=$out/${split##*:}
  if [[ ! -d $dir ]]; then   # a conversion makes the folder only once every shard is written
    "$build/bin/strata" data convert --format idx --images "$src/$name-images-idx3-ubyte.gz" \
      --labels "$src/$name-labels-idx1-ubyte.gz" --out "$dir" --shard-size 10000
  fi
done
"$build/bin/strata" data inspect "$out/train"

device=${STRATA_DEVICE:-auto}
gpus=0
if [[ $device != cpu ]] && "$build/bin/strata" info 2>/dev/null | grep -q "^  gpu [0-9]"; then
  gpus=$("$build/bin/strata" info | grep -c "^  gpu [0-9]")
fi
if (( gpus > 0 )); then default_ranks=$gpus; else default_ranks=2; fi
ranks=${STRATA_RANKS:-$default_ranks}
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc obeys OMP_NUM_THREADS
threads=$(( cores / ranks > 0 ? cores / ranks : 1 ))   # OpenMP threads per rank
run=runs/fashion_stacked_ae_classifier_$(date +%Y%m%d-%H%M%S)
mpi_flags=(--oversubscribe)
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)   # Open MPI refuses root otherwise
echo "main_job.sh: $ranks rank(s) x $threads thread(s), $gpus GPU(s), run folder $run"
mpirun -n "$ranks" "${mpi_flags[@]}" -x OMP_NUM_THREADS="$threads" \
  "$build/bin/strata" train configs/fashion_stacked_ae_classifier.yaml --run-dir "$run" \
  --set logging.progress=lines --set device="$device"

# The two figures that matter, from the run's metrics: the fine-tuned stack's test reconstruction
# MSE and the supervised head's test accuracy.
mse=$(grep '"phase": "finetune"' "$run/metrics.jsonl" | grep -o '"test_mse": [0-9.e-]*' | tail -1)
acc=$(grep '"phase": "supervised"' "$run/metrics.jsonl" | grep -o '"test_accuracy": [0-9.e-]*' | tail -1)
echo
echo "result: ${mse:-no test_mse} (fine-tuned stack), ${acc:-no test_accuracy} (supervised)"
echo "pictures: $run/samples/ (test images beside their reconstructions), $run/loss.png (loss curves)"
echo "metrics:  $run/metrics.jsonl; config: $run/config.yaml; checkpoints: $run/checkpoints/"
