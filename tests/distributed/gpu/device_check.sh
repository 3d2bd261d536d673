#!/usr/bin/env bash
# The checks that need a GPU machine, in one run: device tensors and a model built in GPU memory
# (strata_test_core_gpu), the NCCL backend on device buffers with one rank (alone and under
# mpirun), NCCL's refusal of two ranks on one GPU (a clear error and a non-zero exit, not a hang),
# and the launcher on a machine with GPUs.
# Built here with CUDA and packed into .carry/ (see the README's GPU section):
#   cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DSTRATA_CUDA=ON -DSTRATA_TEST_GPU=ON \
#     -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build build-cuda -j --target strata strata_test_nccl \
#     strata_test_core_gpu
#   rm -rf .carry && ../shared/device/pack.sh .carry build-cuda/bin/strata build-cuda/bin/strata_test_nccl \
#     build-cuda/bin/strata_test_core_gpu   (pack.sh: the team's packing script, outside the repository)
#   (the device call carries at most 64 MiB: pack into another folder and carry .carry/pack.tar.xz)
# then on the GPU machine, from the repository root: bash tests/distributed/gpu/device_check.sh
# (it unpacks .carry/pack.tar.xz first when there is one).
set -uo pipefail
cd "$(dirname "$0")/../../.."
[[ -f .carry/pack.tar.xz && ! -f .carry/env.sh ]] && tar -C .carry -xJf .carry/pack.tar.xz
source .carry/env.sh
work=$(mktemp -d)
status=0
# check NAME EXPECTED command...: runs it (at most $LIMIT s), prints its tail, PASS or FAIL.
# EXPECTED: 0, or nonzero (not a timeout); with $MESSAGE set, the output must also contain it.
check() {
  local name=$1 want=$2; shift 2
  echo "== $name"
  local t0=$SECONDS
  timeout "${LIMIT:-120}" "$@" > "$work/out" 2>&1
  local rc=$?
  tail -n 12 "$work/out"
  local said=yes
  [[ -n ${MESSAGE:-} ]] && ! grep -qF -- "$MESSAGE" "$work/out" && said=no
  if [[ $said == yes ]] && { [[ $want == 0 && $rc == 0 ]] ||
                             [[ $want == nonzero && $rc != 0 && $rc != 124 ]]; }; then
    echo "PASS $name (exit $rc, $((SECONDS - t0)) s)"
  else
    echo "FAIL $name (exit $rc, wanted $want, $((SECONDS - t0)) s)"; status=1
  fi
}

nvidia-smi -L
check "strata info sees the GPU" 0 bash -c '.carry/bin/strata info && .carry/bin/strata info | grep -q "gpu 0:"'
check "device tensors, copies and a model in GPU memory" 0 .carry/bin/strata_test_core_gpu
check "NCCL backend, 1 rank, no mpirun" 0 .carry/bin/strata_test_nccl
check "NCCL backend, 1 rank under mpirun" 0 mpirun -np 1 .carry/bin/strata_test_nccl
LIMIT=90 MESSAGE="start at most one rank per GPU" \
  check "NCCL refuses 2 ranks on 1 GPU: an error, no hang" nonzero \
  mpirun -np 2 .carry/bin/strata_test_nccl
check "synthetic shards" 0 .carry/bin/strata data convert --format synthetic --count 512 \
  --shape 1,8,8 --classes 4 --out "$work/syn"
gpus=$(nvidia-smi -L | grep -c '^GPU')
MESSAGE="$gpus rank(s) x $(($(nproc) / gpus)) thread(s) ($gpus GPU(s), $(nproc) cores)" \
  check "launcher on a GPU machine: one rank per GPU, the cores split" 0 \
  launch/run_local.sh -b .carry configs/smoke/autoencoder.yaml --set data.train="$work/syn" \
  --set data.test="$work/syn" --run-dir "$work/run1"
MESSAGE="this model lives on the CPU" \
  check "backend nccl with host models is refused with a clear message" nonzero launch/run_local.sh -b .carry configs/smoke/autoencoder.yaml --set data.train="$work/syn" \
  --set data.test="$work/syn" --set distributed.backend=nccl --set device=cpu --run-dir "$work/run2"
echo "== device check: $([[ $status == 0 ]] && echo ALL PASS || echo SOME FAILED)"
exit $status
