#!/usr/bin/env bash
# The main job: Fashion-MNIST (Debian's dataset-fashion-mnist) converted to HDF5 shards under
# data/ (once), then the autoencoder of configs/fashion_mnist_ae.yaml trained on them.
#   launch/main_job.sh [BUILD_DIR]     (default build; run launch/setup.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
src=/usr/share/datasets/fashion-mnist
out=data/fashion-mnist
[[ -f $src/train-images-idx3-ubyte.gz ]] || {
  echo "main_job.sh: $src is missing; run launch/setup.sh (it installs dataset-fashion-mnist)" >&2
  exit 1
}
for split in train:train t10k:test; do
  name=${split%%:*} dir=$out/${split##*:}
  if [[ ! -d $dir ]]; then
    rm -rf "$dir.partial"
    "$build/bin/strata" data convert --format idx --images "$src/$name-images-idx3-ubyte.gz" \
      --labels "$src/$name-labels-idx1-ubyte.gz" --out "$dir.partial" --shard-size 10000
    mv "$dir.partial" "$dir"   # a half-converted folder never looks finished
  fi
done
"$build/bin/strata" data inspect "$out/train"
exec "$build/bin/strata" train configs/fashion_mnist_ae.yaml
