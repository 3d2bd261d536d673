#!/usr/bin/env bash
# Builds, here, what tests/device/check.sh runs on the GPU machine, and packs it into the
# git-ignored .carry/ (what the device call copies along, at most 64 MiB):
#   .carry/strata.tar.xz     strata and the GPU test programs, their libraries and Open MPI
#                            (tests/device/pack.sh, or $PACK)
#   .carry/sanitizer.tar.xz  compute-sanitizer from PyPI's nvidia-cuda-sanitizer-api wheel, used
#                            there only when the machine has none of its own (--no-sanitizer: skip)
#   .carry/fashion-mnist/    with --with-data: Debian's Fashion-MNIST files (30 MiB), for the
#                            mainjob stage (the main job on the GPU); use with --no-sanitizer to
#                            stay under 64 MiB
# usage: tests/device/prepare.sh [--build-dir DIR] [--no-sanitizer] [--with-data]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-cuda sanitizer=1 with_data=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --no-sanitizer) sanitizer=0; shift ;;
    --with-data) with_data=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "prepare.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
pack=${PACK:-tests/device/pack.sh}
[[ -x $pack || -f $pack ]] || { echo "prepare.sh: no packing script at $pack (set PACK)" >&2; exit 1; }
grep -qx '/.carry/' .git/info/exclude 2>/dev/null || echo /.carry/ >> .git/info/exclude

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSTRATA_CUDA=ON -DSTRATA_TEST_GPU=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 > /dev/null
cmake --build "$build" -j"$(nproc)" --target strata strata_test_core_gpu strata_test_bench_gpu \
  strata_test_nccl checkpoint_digest checkpoint_compare
rm -rf .carry && mkdir -p .carry
bash "$pack" .carry/strata.tar.xz "$build"/bin/strata "$build"/bin/strata_test_core_gpu \
  "$build"/bin/strata_test_bench_gpu "$build"/bin/strata_test_nccl "$build"/bin/checkpoint_digest \
  "$build"/bin/checkpoint_compare

if [[ $sanitizer == 1 ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  if pip download --quiet --no-deps nvidia-cuda-sanitizer-api -d "$tmp" 2>/dev/null; then
    (cd "$tmp" && python3 -m zipfile -e ./*.whl x)
    san=$(dirname "$(find "$tmp/x" -name compute-sanitizer -type f | head -1)")
    rm -rf "$san/docs" "$san/include"
    tar -C "$(dirname "$san")" -cf - "$(basename "$san")" | xz -T0 -6 > .carry/sanitizer.tar.xz
  else
    echo "prepare.sh: could not download compute-sanitizer; check.sh will use the machine's" >&2
  fi
fi
if [[ $with_data == 1 ]]; then
  src=/usr/share/datasets/fashion-mnist
  [[ -f $src/train-images-idx3-ubyte.gz ]] || { echo "prepare.sh: no $src (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
  mkdir -p .carry/fashion-mnist && cp "$src"/*-ubyte.gz .carry/fashion-mnist/
fi
ls -l .carry
total=$(du -cb .carry | tail -1 | cut -f1)
echo "prepare.sh: .carry holds $((total / 1048576)) MiB (the limit is 64)"
(( total < 64 * 1048576 )) || { echo "prepare.sh: too large to carry" >&2; exit 1; }
