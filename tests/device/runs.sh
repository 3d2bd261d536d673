#!/usr/bin/env bash
# The `runs` stage of tests/device/check.sh, on the GPU machine: training, resume and the
# commands on a real GPU, against the CPU. (tests/trainers/device_runs_test.sh checks the same
# plumbing bit for bit on the emulated device in CI; on a GPU the values agree to rounding.)
#   - every configs/smoke/*.yaml trains on the GPU (device: cuda), and its last logged losses are
#     within 2% of the same run on the CPU;
#   - a GPU run continued on the CPU from its first checkpoint, and a CPU run continued on the
#     GPU, end within 2% of the uninterrupted runs;
#   - strata encode, sample and eval of GPU-trained runs, on the GPU and with --device cpu, agree
#     (eval's values within 1e-4 relative);
#   - strata export of GPU-trained runs' parts (each passes the ONNX checker).
# Usage: tests/device/runs.sh WORK_DIR   (strata on PATH)
set -uo pipefail
work=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/device/lib.sh"
device_setup

train() {  # train DEVICE RUN CONFIG [ARGS...]
  local device=$1 run=$2 config=$3
  shift 3
  strata train "$config" "${data[@]}" --set device="$device" --run-dir "$run" "$@" \
    > "$run.log" 2>&1 || { fail "training $run"; tail -n 5 "$run.log"; return 1; }
}
# close A B WHAT: the last value of every metric containing "loss" in A's and B's metrics.jsonl
# within 2%.
close() {
  python3 - "$1/metrics.jsonl" "$2/metrics.jsonl" "$3" <<'PY' || status=1
import json, sys
def last(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        for k, v in r.items():
            if "loss" in k and isinstance(v, (int, float)):
                out[(r.get("phase"), k)] = v
    return out
a, b = last(sys.argv[1]), last(sys.argv[2])
bad = [(k, a[k], b.get(k)) for k in a if b.get(k) is None or abs(a[k] - b[k]) > 0.02 * abs(a[k]) + 1e-6]
print(f"{sys.argv[3]}: {len(a)} losses compared" + ("" if not bad else f", off: {bad}"))
sys.exit(1 if bad or not a else 0)
PY
}

for config in "$src"/configs/smoke/*.yaml; do
  name=$(basename "$config" .yaml)
  train cpu "$work/$name-cpu" "$config" || continue
  train cuda "$work/$name-gpu" "$config" || continue
  grep -q "^device: cuda:" "$work/$name-gpu.log" || fail "$name did not train on the GPU"
  close "$work/$name-cpu" "$work/$name-gpu" "$name: GPU against CPU"
done

# continue_on DEVICE FROM_RUN CONFIG: FROM_RUN continued on DEVICE from its first checkpoint.
continue_on() {
  local device=$1 from=$2 config=$3 to=$2-then-$1
  cp -r "$from" "$to"
  local first
  first=$(cd "$to/checkpoints" && ls step-*.h5 | head -n 1)
  find "$to/checkpoints" -name 'step-*.h5' ! -name "$first" -delete
  echo "$first" > "$to/checkpoints/latest"
  train "$device" "$to" "$config" --resume auto || return
  grep -q "^resuming from" "$to.log" || fail "$to did not resume"
  close "$from" "$to" "$(basename "$from") continued on $device"
}
continue_on cpu "$work/gan-gpu" "$src/configs/smoke/gan.yaml"
continue_on cuda "$work/stacked_ae-cpu" "$src/configs/smoke/stacked_ae.yaml"

# strata export of GPU-trained runs: every part passes the ONNX checker (onnxruntime's comparison
# with Strata's outputs runs in CI, tests/cli/export_test.sh, on CPU and emulated-device runs).
if strata export --help > /dev/null 2>&1; then
  for spec in stacked_ae:encoder stacked_ae:decoder stacked_ae:autoencoder gan:generator \
    gan:discriminator classifier:classifier; do
    strata export --checkpoint "$work/${spec%%:*}-gpu" --part "${spec##*:}" \
      --out "$work/${spec%%:*}-${spec##*:}.onnx" > "$work/export.log" 2>&1 \
      || { fail "export of the GPU run's ${spec##*:}"; tail -n 3 "$work/export.log"; }
  done
  echo "exports of GPU-trained parts: done"
fi

value() { grep -o '"value": [0-9.e+-]*' "$1" | cut -d' ' -f2; }
for dev in cuda cpu; do
  strata encode --checkpoint "$work/stacked_ae-gpu" --data "$work/test" --device "$dev" \
    --out "$work/codes-$dev.h5" > "$work/encode-$dev.log" 2>&1 || fail "encode --device $dev"
  strata sample --checkpoint "$work/gan-gpu" --device "$dev" --count 16 --columns 4 \
    --out "$work/grid-$dev.png" > "$work/sample-$dev.log" 2>&1 || fail "sample --device $dev"
  strata eval --checkpoint "$work/classifier-gpu" --data "$work/test" --device "$dev" \
    > "$work/eval-$dev.log" 2>&1 || fail "eval --device $dev"
done
python3 - "$(value "$work/eval-cuda.log")" "$(value "$work/eval-cpu.log")" <<'PY' || status=1
import sys
a, b = float(sys.argv[1]), float(sys.argv[2])
print(f"eval of a GPU-trained classifier: on the GPU {a}, on the CPU {b}")
sys.exit(0 if abs(a - b) <= 1e-4 * max(abs(b), 1e-12) else 1)
PY
((status == 0)) && echo "runs: GPU runs, resumes across devices and commands agree with the CPU"
exit $status
