#!/usr/bin/env bash
# Every check that needs a GPU, in one run on the GPU machine, stage by stage, each with its own
# time limit, failing soft (a failed stage does not stop the next), then a summary table last.
# Logs, gtest JSON and benchmark JSON lines go to $OUT (or ./device-out). Prepared here with
# tests/device/prepare.sh; run there from the repository root:
#   bash tests/device/check.sh                  # the default stages (under 10 minutes)
#   STAGES="ops train" bash tests/device/check.sh   # some stages only
# Stages:
#   setup     unpack .carry, the GPU (nvidia-smi), strata info lists it
#   ops       strata_test_core_gpu: every CUDA op against the CPU op (benchmark and edge shapes),
#             masks bitwise, determinism, device tensors, the reader's pinned batches
#   train     strata_test_bench_gpu: 10 steps of each benchmark model on the GPU against the CPU,
#             two GPU runs bitwise equal
#   runs      every smoke config trained on the GPU against the CPU, resumes GPU -> CPU and
#             CPU -> GPU, encode, sample and eval of GPU runs (tests/device/runs.sh)
#   sanitize  compute-sanitizer memcheck, racecheck and initcheck on a training step
#   nccl      the NCCL backend with one rank; two ranks on one GPU refused with a clear error; the
#             launcher (one rank per GPU) training the smoke autoencoder on the GPU, with NCCL and
#             with MPI; NCCL with a CPU model refused with a clear error
#   graphs    whole-step CUDA graphs: every smoke config trained with cuda_graphs on and off,
#             equal bit for bit; 2 MPI ranks on the GPU against 1 rank to rounding; NCCL with
#             1 rank (tests/device/graphs.sh)
#   bench     strata bench --device cuda beside bench/pytorch_ref.py --device cuda, four models,
#             at fp32, tf32 and bf16, with peak memory; a per-kernel profile of each model
#   mainjob   the README's main job (launch/main_job.sh) on the GPU, when the Fashion-MNIST
#             files were carried along (prepare.sh --with-data)
# The default stages fit one device call (10 minutes): setup ops train graphs bench. The rest
# (runs sanitize nccl mainjob) make a second call: STAGES="setup runs sanitize nccl mainjob".
# Without a GPU (a dry run) every stage ends within seconds saying why.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=${OUT:-$root/device-out}
mkdir -p "$out/logs"
stages=${STAGES:-setup ops train graphs bench}
declare -a names results times

# stage NAME LIMIT_S FUNCTION: runs it with a time limit, logs to $out/logs/NAME.log.
stage() {
  local name=$1 limit=$2 fn=$3
  [[ " $stages " == *" $name "* ]] || return 0
  echo "== $name (limit ${limit} s)"
  local t0=$SECONDS rc
  ( set -o pipefail; timeout --kill-after=10 "$limit" bash -c "$(declare -f "$fn" helpers); helpers; $fn" ) \
    > "$out/logs/$name.log" 2>&1
  rc=$?
  tail -n 15 "$out/logs/$name.log"
  local verdict=PASS
  if [[ $rc == 124 || $rc == 137 ]]; then verdict="FAIL (time limit)"
  elif [[ $rc == 77 ]]; then
    verdict="SKIP: $(grep -m1 -o 'SKIP.*' "$out/logs/$name.log" | sed 's/^SKIP[A-Z]*[:,] *//')"
  elif [[ $rc != 0 ]]; then verdict="FAIL (exit $rc)"; fi
  names+=("$name"); results+=("$verdict"); times+=($((SECONDS - t0)))
  echo "-- $name: $verdict, $((SECONDS - t0)) s"
}

helpers() {
  export OUT=${OUT:-$PWD/device-out}
  if [[ -f .carry/strata.tar.xz && ! -f /tmp/strata-pack/env.sh ]]; then
    tar -C /tmp -xJf .carry/strata.tar.xz
  fi
  [[ -f /tmp/strata-pack/env.sh ]] || { echo "no packed programs: run tests/device/prepare.sh first"; return 1; }
  # shellcheck disable=SC1091
  source /tmp/strata-pack/env.sh
  have_gpu() { nvidia-smi -L > /dev/null 2>&1; }
  need_gpu() { have_gpu || { echo "SKIP: no GPU on this machine (nvidia-smi finds none)"; exit 77; }; }
  # A gtest program: exit 77 when it finds no GPU, JSON results in $OUT.
  gtest() { "$1" --gtest_output="json:$OUT/$(basename "$1").json" "${@:2}"; }
}

st_setup() {
  strata info || { echo "the packed strata does not start"; exit 1; }  # also in a dry run
  need_gpu
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  strata info | grep -q "gpu 0:" || { echo "strata info lists no GPU"; exit 1; }
}

st_ops() { gtest "$(command -v strata_test_core_gpu)"; }

st_train() { OMP_NUM_THREADS=$(nproc) gtest "$(command -v strata_test_bench_gpu)"; }

st_runs() {
  need_gpu
  local w rc
  w=$(mktemp -d)
  bash tests/device/runs.sh "$w"
  rc=$?
  rm -rf "$w"
  exit $rc
}

st_sanitize() {
  need_gpu
  local san
  san=$(command -v compute-sanitizer || true)
  [[ -z $san && -x /usr/local/cuda/bin/compute-sanitizer ]] && san=/usr/local/cuda/bin/compute-sanitizer
  if [[ -z $san && -f .carry/sanitizer.tar.xz ]]; then
    tar -C /tmp -xJf .carry/sanitizer.tar.xz && san=/tmp/compute-sanitizer/compute-sanitizer
  fi
  [[ -n $san ]] || { echo "no compute-sanitizer here or in .carry"; exit 1; }
  # dcgan28 covers the convolutions, BatchNorm, the losses and Adam; sae_layer1 the dense ops,
  # sigmoid and the masking corruption. One step each after one warm-up, small batches.
  local rc=0 run
  for run in "memcheck dcgan28" "racecheck dcgan28" "memcheck sae_layer1" "initcheck sae_layer1"; do
    set -- $run
    echo "--- $1 $2"
    "$san" --tool "$1" --error-exitcode 3 strata bench --model "$2" --device cuda --data resident \
      --batch 32 --steps 1 --warmup 1 --windows 1 || rc=1
  done
  exit $rc
}

st_nccl() {
  need_gpu
  local rc=0
  strata_test_nccl || rc=1
  mpirun -np 1 strata_test_nccl || rc=1
  if timeout 60 mpirun -np 2 strata_test_nccl > "$OUT/logs/nccl_two_ranks.log" 2>&1; then
    echo "two ranks on one GPU were not refused"; rc=1
  elif ! grep -q "start at most one rank per GPU" "$OUT/logs/nccl_two_ranks.log"; then
    echo "two ranks on one GPU: no clear error"; rc=1
  fi
  local work gpus
  work=$(mktemp -d)
  strata data convert --format synthetic --count 512 --shape 1,8,8 --classes 4 \
    --out "$work/syn" > /dev/null || rc=1
  gpus=$(nvidia-smi -L | grep -c '^GPU')
  local data=(--set data.train="$work/syn" --set data.test="$work/syn")
  echo "--- launcher, device cuda, backend nccl"
  launch/run_local.sh -b /tmp/strata-pack configs/smoke/autoencoder.yaml "${data[@]}" \
    --set device=cuda --set distributed.backend=nccl --run-dir "$work/run1" > "$work/run1.log" 2>&1 \
    || { tail -5 "$work/run1.log"; rc=1; }
  grep -q "$gpus rank(s)" "$work/run1.log" || { echo "launcher: not one rank per GPU"; rc=1; }
  grep -q "device: cuda:0" "$work/run1.log" || { echo "launcher run: not on the GPU"; rc=1; }
  echo "--- 2 ranks, device cuda, backend mpi (gradients staged through the host)"
  mpirun -np 2 strata train configs/smoke/autoencoder.yaml "${data[@]}" --set device=cuda \
    --set distributed.backend=mpi --run-dir "$work/run3" > "$work/run3.log" 2>&1 \
    || { tail -5 "$work/run3.log"; rc=1; }
  echo "--- backend nccl with a CPU model: refused"
  if launch/run_local.sh -b /tmp/strata-pack configs/smoke/autoencoder.yaml "${data[@]}" \
    --set device=cpu --set distributed.backend=nccl --run-dir "$work/run2" > "$work/run2.log" 2>&1; then
    echo "nccl with a CPU model was not refused"; rc=1
  elif ! grep -q "this model lives on the CPU" "$work/run2.log"; then
    tail -5 "$work/run2.log"; echo "nccl with a CPU model: no clear error"; rc=1
  fi
  rm -rf "$work"
  exit $rc
}

st_graphs() {
  need_gpu
  local w rc
  w=$(mktemp -d)
  bash tests/device/graphs.sh "$w"
  rc=$?
  rm -rf "$w"
  exit $rc
}

st_bench() {
  need_gpu
  local model precision rc=0
  : > "$OUT/bench.jsonl"
  local timing=(--steps 20 --warmup 5 --windows 3)
  for precision in fp32 tf32 bf16; do
    for model in sae_finetune sae_layer1 dcgan28 dcgan64; do
      strata bench --model "$model" --device cuda --data resident --precision "$precision" \
        "${timing[@]}" | tee -a "$OUT/bench.jsonl" || rc=1
      # PyTorch outside the packed libraries' environment (they may shadow torch's).
      env -u LD_LIBRARY_PATH python3 bench/pytorch_ref.py --device cuda --model "$model" \
        --precision "$precision" "${timing[@]}" | sed 's/^{/{"ref": "pytorch", /' \
        | tee -a "$OUT/bench.jsonl" || rc=1
    done
  done
  # What the graphs bring (fp32 without them), and where the time goes: Strata's per-layer
  # profile of each model, and nsys's per-kernel summary where the machine has nsys.
  for model in sae_finetune sae_layer1 dcgan28 dcgan64; do
    strata bench --model "$model" --device cuda --data resident --cuda-graphs off \
      "${timing[@]}" | sed 's/^{/{"variant": "eager", /' | tee -a "$OUT/bench.jsonl" || rc=1
    strata bench --model "$model" --device cuda --data resident --cuda-graphs off --steps 5 \
      --warmup 2 --windows 1 --profile > /dev/null 2> "$OUT/logs/profile_$model.txt" || rc=1
    if command -v nsys > /dev/null; then
      nsys profile -o "$OUT/nsys_$model" --force-overwrite true strata bench --model "$model" \
        --device cuda --data resident "${timing[@]}" > /dev/null 2>&1 \
        && nsys stats --report cuda_gpu_kern_sum "$OUT/nsys_$model.nsys-rep" \
          > "$OUT/logs/kernels_$model.txt" 2>&1
    fi
  done
  exit $rc
}

st_mainjob() {
  need_gpu
  local data=$PWD/.carry/fashion-mnist
  [[ -f $data/train-images-idx3-ubyte.gz ]] || {
    echo "SKIP: no Fashion-MNIST in .carry (tests/device/prepare.sh --with-data --no-sanitizer)"
    exit 77
  }
  local t0=$SECONDS rc run
  FASHION_MNIST_DIR=$data bash launch/main_job.sh /tmp/strata-pack
  rc=$?
  echo "main job wall time: $((SECONDS - t0)) s (conversion + the whole run)"
  run=$(ls -d runs/fashion_stacked_ae_classifier_* 2> /dev/null | tail -1)
  [[ -n $run ]] && cp "$run/metrics.jsonl" "$OUT/mainjob_metrics.jsonl" \
    && cp "$run/loss.png" "$OUT/mainjob_loss.png" 2> /dev/null
  exit $rc
}

stage setup 30 st_setup
stage ops 90 st_ops
stage train 80 st_train
stage runs 75 st_runs
stage sanitize 90 st_sanitize
stage nccl 40 st_nccl
stage graphs 110 st_graphs
stage bench 250 st_bench
stage mainjob 240 st_mainjob

echo
echo "| stage | result | seconds |"
echo "|---|---|---|"
for i in "${!names[@]}"; do echo "| ${names[$i]} | ${results[$i]} | ${times[$i]} |"; done
if [[ -s $out/bench.jsonl ]]; then
  python3 - "$out/bench.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
key = lambda r: (r["model"], r.get("precision", "fp32"))
strata = {key(r): r for r in rows if "ref" not in r and "variant" not in r}
eager = {key(r): r for r in rows if r.get("variant") == "eager"}
torch = {key(r): r for r in rows if "ref" in r}
target = {"sae_finetune": 3.0, "dcgan28": 2.0, "dcgan64": 1.5}  # the issue's speed targets
def mib(r, k):  # peak_bytes and the like, in MiB (docs/benchmarks.md, the memory columns)
    v = r.get(k)
    return f"{v / 2**20:.1f}" if isinstance(v, (int, float)) else "-"
print("\n| model | precision | strata samples/s | strata eager | pytorch samples/s | strata / pytorch "
      "| target | strata peak MiB | pytorch peak MiB | strata device used MiB | pytorch reserved MiB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for p in ["fp32", "tf32", "bf16"]:
    for m in ["sae_finetune", "sae_layer1", "dcgan28", "dcgan64"]:
        sr, tr, er = strata.get((m, p), {}), torch.get((m, p), {}), eager.get((m, p), {})
        s, t = sr.get("samples_per_s"), tr.get("samples_per_s")
        ratio = f"{s / t:.2f}" if s and t else "-"
        goal = f">= {target[m]}" if m in target else "-"
        print(f"| {m} | {p} | {s or '-'} | {er.get('samples_per_s', '-')} | {t or '-'} | {ratio} "
              f"| {goal} | {mib(sr, 'peak_bytes')} | {mib(tr, 'peak_bytes')} "
              f"| {mib(sr, 'device_used_bytes')} | {mib(tr, 'peak_reserved_bytes')} |")
PY
fi
passed=0 skipped=0 failed=0
for r in "${results[@]}"; do
  case $r in PASS*) passed=$((passed + 1)) ;; SKIP*) skipped=$((skipped + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
echo "device check: $passed passed, $skipped skipped, $failed failed; logs in $out"
exit $((failed > 0 ? 1 : 0))
