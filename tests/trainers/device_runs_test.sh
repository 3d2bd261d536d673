#!/usr/bin/env bash
# Training and the commands on a device give the CPU's results bit for bit. The emulated device
# (STRATA_TEST_DEVICE=emulated, core/device.h) stands for a GPU: its memory is refused to the host
# accessors, so every missing copy fails here as on a GPU, and its ops are the CPU's, so every
# value must equal the CPU run's. Checked:
#   - every configs/smoke/*.yaml on 1 rank and on 2 (mpirun: MPI takes host buffers, so the
#     weights broadcast, the gradient buckets and the synchronised BatchNorm and KL sums go through
#     host staging), against the same runs on the CPU: metrics.jsonl (without timings) and the
#     digest of every checkpoint;
#   - a run continued on another device: CPU -> emulated (1 rank and 2 ranks: the checkpoint's
#     tensors broadcast from rank 0 through host staging) and emulated -> CPU, against the
#     uninterrupted run;
#   - strata encode, sample and eval on runs trained on the emulated device, run there and on the
#     CPU (--device), against the same commands on the CPU-trained runs;
#   - device: cuda on a machine without a GPU: a clear error, nothing written.
# Usage: device_runs_test.sh STRATA MPIEXEC SOURCE_DIR CHECKPOINT_DIGEST
set -uo pipefail
strata=$1
mpiexec=$2
src=$3
digest=$4
source "$src/tests/support/test_lib.sh"
make_workdir device_runs
export OMP_NUM_THREADS=1
status=0
fail() { echo "FAIL: $*"; status=1; }

"$strata" data convert --format synthetic --count 120 --shape 1,8,8 --classes 4 --seed 5 \
  --out "$work/train" > /dev/null || exit 1
"$strata" data convert --format synthetic --count 48 --shape 1,8,8 --classes 4 --seed 6 \
  --out "$work/test" > /dev/null || exit 1
data=(--set "data.train=$work/train" --set "data.test=$work/test" --set logging.progress=lines)
# Two ranks: several gradient buckets, and BatchNorm over the global batch (the GAN's generator).
two=(--set distributed.bucket_mb=0.0005 --set distributed.sync_batchnorm=true)
mpi=("$mpiexec" -n 2 --oversubscribe --allow-run-as-root -x STRATA_TEST_DEVICE -x OMP_NUM_THREADS)

# train DEVICE RANKS RUN_DIR CONFIG [ARGS...]: DEVICE is cpu or emulated.
train() {
  local device=$1 ranks=$2 run=$3 config=$4
  shift 4
  local launch=("$strata") extra=()
  ((ranks > 1)) && launch=("${mpi[@]}" "$strata") && extra=("${two[@]}")
  if [[ $device == emulated ]]; then
    STRATA_TEST_DEVICE=emulated "${launch[@]}" train "$config" "${data[@]}" "${extra[@]}" \
      --set device=cuda --run-dir "$run" "$@" > "$run.log" 2>&1
  else
    STRATA_TEST_DEVICE= "${launch[@]}" train "$config" "${data[@]}" "${extra[@]}" \
      --set device=cpu --run-dir "$run" "$@" > "$run.log" 2>&1
  fi || { fail "training $run"; tail -n 5 "$run.log"; return 1; }
  grep -q "^device: $([[ $device == emulated ]] && echo emulated || echo cpu) " "$run.log" \
    || fail "$run did not train on $device"
}

# What a run leaves that must not depend on the device: its metrics without timings and the
# digest of each checkpoint.
fingerprint() {
  sed -E 's/, "(samples_per_s|data_wait_ms)": [^,}]*//g' "$1/metrics.jsonl"
  local f
  for f in "$1"/checkpoints/step-*.h5; do
    echo "== $(basename "$f")"
    "$digest" "$f"
  done
}

same() {  # same A B WHAT
  if ! cmp -s <(fingerprint "$1") <(fingerprint "$2"); then
    fail "$3: $2 differs from $1"
    diff <(fingerprint "$1") <(fingerprint "$2") | head -n 6
  fi
}

for config in "$src"/configs/smoke/*.yaml; do
  name=$(basename "$config" .yaml)
  for ranks in 1 2; do
    train cpu "$ranks" "$work/$name-cpu-$ranks" "$config" || continue
    train emulated "$ranks" "$work/$name-emu-$ranks" "$config" || continue
    same "$work/$name-cpu-$ranks" "$work/$name-emu-$ranks" "$name on $ranks rank(s)"
  done
done

# resume FROM_RUN STEP TO_RUN: TO_RUN is FROM_RUN as it was at checkpoint STEP (its later
# checkpoints removed), ready for --resume auto.
resume_point() {
  cp -r "$1" "$3"
  local keep
  keep=$(printf 'step-%09d.h5' "$2")
  [[ -f $3/checkpoints/$keep ]] || { fail "no checkpoint $keep in $1"; return 1; }
  find "$3/checkpoints" -name 'step-*.h5' ! -name "$keep" -delete
  echo "$keep" > "$3/checkpoints/latest"
}
# continue DEVICE RANKS FROM_RUN STEP CONFIG: FROM_RUN continued from STEP on DEVICE must end as
# FROM_RUN did.
continue_on() {
  local device=$1 ranks=$2 from=$3 step=$4 config=$5
  local to=$from-to-$device-at-$step
  resume_point "$from" "$step" "$to" || return
  train "$device" "$ranks" "$to" "$config" --resume auto || return
  grep -q "^resuming from .*step-0*$step.h5" "$to.log" || fail "$to did not resume at step $step"
  same "$from" "$to" "$(basename "$from") continued on $device from step $step"
}
# The GAN (Adam moments, BatchNorm statistics) from its first epoch's checkpoint (3 steps), the
# stacked autoencoder from inside its phases (after pretrain_2: later optimizers are still empty)
# on 2 ranks, the autoencoder back from the emulated device to the CPU.
continue_on emulated 1 "$work/gan-cpu-1" 3 "$src/configs/smoke/gan.yaml"
continue_on emulated 2 "$work/stacked_ae-cpu-2" 14 "$src/configs/smoke/stacked_ae.yaml"
continue_on cpu 1 "$work/autoencoder-emu-1" 7 "$src/configs/smoke/autoencoder.yaml"

# The commands: on the emulated device (the run's device key says cuda) and on the CPU (--device
# cpu) for the run trained on the emulated device, against the CPU-trained run on the CPU.
# run_three NAME OUT COMMAND ARGS...: `strata COMMAND --checkpoint RUN ARGS` for the runs of NAME
# those three ways, with @OUT@ in ARGS replaced by OUT.cpu, OUT.emu and OUT.emu-on-cpu (and the
# output in OUT.<way>.log).
run_three() {
  local name=$1 out=$2 cmd=$3
  shift 3
  STRATA_TEST_DEVICE= "$strata" "$cmd" --checkpoint "$work/$name-cpu-1" "${@/@OUT@/$out.cpu}" \
    > "$out.cpu.log" 2>&1 || { fail "$cmd of $name (cpu)"; tail -n 3 "$out.cpu.log"; }
  STRATA_TEST_DEVICE=emulated "$strata" "$cmd" --checkpoint "$work/$name-emu-1" \
    "${@/@OUT@/$out.emu}" > "$out.emu.log" 2>&1 \
    || { fail "$cmd of $name (emulated)"; tail -n 3 "$out.emu.log"; }
  STRATA_TEST_DEVICE= "$strata" "$cmd" --checkpoint "$work/$name-emu-1" --device cpu \
    "${@/@OUT@/$out.emu-on-cpu}" > "$out.emu-on-cpu.log" 2>&1 \
    || { fail "$cmd of $name (emulated run on the cpu)"; tail -n 3 "$out.emu-on-cpu.log"; }
}
value() { grep -o '"value": [0-9.e+-]*' "$1" | cut -d' ' -f2; }

run_three stacked_ae "$work/codes" encode --data "$work/test" --out @OUT@.h5
for way in emu emu-on-cpu; do
  cmp -s <("$digest" "$work/codes.cpu.h5") <("$digest" "$work/codes.$way.h5") \
    || fail "encode ($way): the codes differ from the CPU run's"
done
run_three gan "$work/grid" sample --out @OUT@.png --count 16 --columns 4
run_three gan "$work/images" sample --out @OUT@.h5 --count 10
for way in emu emu-on-cpu; do
  cmp -s "$work/grid.cpu.png" "$work/grid.$way.png" || fail "sample ($way): the PNG differs"
  cmp -s <("$digest" "$work/images.cpu.h5") <("$digest" "$work/images.$way.h5") \
    || fail "sample ($way): the images differ"
done
run_three stacked_ae "$work/eval_mse" eval --data "$work/test"
run_three classifier "$work/eval_acc" eval --data "$work/test"
for way in emu emu-on-cpu; do
  for e in eval_mse eval_acc; do
    v_cpu=$(value "$work/$e.cpu.log") v_way=$(value "$work/$e.$way.log")
    [[ -n $v_cpu && $v_cpu == "$v_way" ]] || fail "$e ($way): $v_way, the CPU run $v_cpu"
  done
done
# The Frechet distance: the GAN and the classifier both from the emulated runs.
STRATA_TEST_DEVICE= "$strata" eval --checkpoint "$work/gan-cpu-1" --data "$work/test" \
  --classifier "$work/classifier-cpu-1" --count 32 > "$work/fd.cpu.log" 2>&1 || fail "eval gan (cpu)"
STRATA_TEST_DEVICE=emulated "$strata" eval --checkpoint "$work/gan-emu-1" --data "$work/test" \
  --classifier "$work/classifier-emu-1" --count 32 > "$work/fd.emu.log" 2>&1 \
  || { fail "eval gan (emulated)"; tail -n 3 "$work/fd.emu.log"; }
fd_cpu=$(value "$work/fd.cpu.log") fd_emu=$(value "$work/fd.emu.log")
[[ -n $fd_cpu && $fd_cpu == "$fd_emu" ]] || fail "Frechet distance: emulated $fd_emu, cpu $fd_cpu"
echo "Frechet distance $fd_emu; accuracy $(value "$work/eval_acc.emu.log"); MSE $(value "$work/eval_mse.emu.log")"

# device: cuda where no GPU is visible (as in CI): an error that says why and what to do, before
# anything is written.
if ! "$strata" info | grep -q "gpu 0:"; then
  STRATA_TEST_DEVICE= "$strata" train "$src/configs/smoke/autoencoder.yaml" "${data[@]}" \
    --set device=cuda --run-dir "$work/no-gpu" > "$work/no-gpu.log" 2>&1 \
    && fail "device: cuda trained without a GPU"
  grep -Eq "no GPU is visible|built without CUDA" "$work/no-gpu.log" \
    && grep -q "device: cpu" "$work/no-gpu.log" || { fail "device: cuda without a GPU: unclear error"; cat "$work/no-gpu.log"; }
  [[ ! -e $work/no-gpu ]] || fail "device: cuda without a GPU left a run folder"
fi

((status == 0)) && echo "device runs: all equal to the CPU's"
exit $status
