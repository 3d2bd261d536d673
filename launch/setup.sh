#!/usr/bin/env bash
# Installs Strata's dependencies from Debian packages (and, from PyPI, ONNX Runtime, which the
# export test runs models in, and TensorBoard), then configures and builds into build/.
#   launch/setup.sh [--cuda AUTO|ON|OFF] [--build-dir DIR] [--type Release|Debug] [--skip-apt]
# Programs land in DIR/bin (strata, and the test programs that ctest runs).
set -euo pipefail

cuda=AUTO build_dir=build build_type=Release skip_apt=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --cuda) cuda=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --type) build_type=$2; shift 2 ;;
    --skip-apt) skip_apt=1; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libcli11-dev                        # command-line flags (strata's subcommands)
  openmpi-bin libopenmpi-dev          # MPI communicator, mpirun
  libhdf5-dev                         # data shards and checkpoints
  libyaml-cpp-dev                     # experiment files
  nlohmann-json3-dev                  # reading metrics.jsonl (strata plot)
  libgtest-dev                        # tests
  libopenblas-dev libopenblas-openmp-dev  # CPU GEMM (OpenMP build: one thread pool with ours)
  libpng-dev zlib1g-dev               # PNG data and sample grids; gzip'd IDX files
  libonnx-dev                         # strata export (ONNX models; brings libprotobuf-dev)
  python3 python3-pip                 # the export test: ONNX Runtime runs the exported models
  dataset-fashion-mnist               # the real data set of the main job
  slurm-wlm bc                        # the test that brings up a real SLURM on localhost
  protobuf-compiler libprotobuf-dev   # TensorBoard's events files (the Event messages)
)
if [[ $skip_apt == 0 ]]; then
  sudo=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${packages[@]}"
fi
# Python packages Debian does not have: ONNX Runtime (with numpy), which the export test runs the
# exported models in, and TensorBoard (`tensorboard --logdir runs/`, and the test that reads the
# events files back). pip installs the missing ones from PyPI, for everyone as root, for this user
# otherwise (Debian marks its Python as externally managed, hence the flag: nothing Debian
# installed is replaced, pip adds packages beside them).
py_missing=()
python3 -c "import onnxruntime, numpy" 2> /dev/null || py_missing+=(onnxruntime)
python3 -c "import tensorboard" 2> /dev/null || py_missing+=(tensorboard)
if ((${#py_missing[@]} > 0)); then
  pip_where=(--user)
  [[ $(id -u) == 0 ]] && pip_where=()
  python3 -m pip install --break-system-packages "${pip_where[@]}" "${py_missing[@]}"
fi

# With the packages installed here, `strata export` is always built (a missing library fails).
onnx=ON
[[ $skip_apt == 1 ]] && onnx=AUTO
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DSTRATA_CUDA="$cuda" -DSTRATA_ONNX=$onnx
cmake --build "$build_dir" -j"$(nproc)"
echo "setup.sh: built into $build_dir/bin"
