#!/usr/bin/env bash
# Strata against PyTorch on this machine's CPU: for each model, runs `strata bench` and
# bench/pytorch_ref.py alternately REPEATS times each with the same thread count, then prints the
# medians: model, samples/s of both, their ratio (Strata / PyTorch), and peak RSS of both.
#
#   bench/compare_cpu.sh [BUILD_DIR]          (default: build; configured and built if needed)
#
# Environment (all optional):
#   MODELS="sae_finetune sae_layer1 dcgan28 dcgan64"   models to run
#   REPEATS=3        runs of each framework per model (alternating)
#   THREADS=N        threads for both (default: all cores, nproc)
#   WINDOWS=3        timed windows per run (the run reports their median)
#   WARMUP=         untimed steps per run (default per model below)
#   STEPS=           timed steps per window (default per model below, about 1-3 s a window)
#   PYTHON=/usr/bin/python3   an interpreter with torch (Debian's python3-torch)
#   OPENBLAS_CORETYPE=NAME   OpenBLAS kernels for both (e.g. SkylakeX, Haswell). When unset and
#                            OpenBLAS 0.3.21 does not know this CPU (it falls back to the SSE3
#                            "Prescott" kernels on CPUs newer than it, e.g. Emerald Rapids), the
#                            script sets SkylakeX (AVX-512) or Haswell (AVX2) for both frameworks;
#                            OPENBLAS_CORETYPE=native keeps OpenBLAS's own choice. See
#                            docs/benchmarks.md.
# Raw JSON lines go to $BUILD_DIR/bench/compare_cpu.jsonl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

models="${MODELS:-sae_finetune sae_layer1 dcgan28 dcgan64}"
repeats="${REPEATS:-3}"
threads="${THREADS:-$(nproc)}"
windows="${WINDOWS:-3}"
python="${PYTHON:-/usr/bin/python3}"

steps_for() {  # timed steps per window and warm-up steps, per model
  case "$1" in
    sae_finetune | sae_layer1) echo "${STEPS:-20} ${WARMUP:-5}" ;;
    dcgan28) echo "${STEPS:-5} ${WARMUP:-3}" ;;
    dcgan64) echo "${STEPS:-2} ${WARMUP:-2}" ;;
    *) echo "compare_cpu.sh: unknown model '$1'" >&2; exit 2 ;;
  esac
}

if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "compare_cpu.sh: $python cannot import torch; apt-get install python3-torch (Debian) or set PYTHON" >&2
  exit 2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target strata >/dev/null
strata="$build/bin/strata"

# OpenBLAS's kernel choice, the same for both (Strata links OpenBLAS's OpenMP build, Debian's torch
# its pthread build; both are 0.3.21 and detect the CPU the same way).
if [ "${OPENBLAS_CORETYPE:-}" = native ]; then
  unset OPENBLAS_CORETYPE
elif [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  detected="$("$python" -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0")
l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())')"
  if [ "$detected" = Prescott ] && grep -qw avx512f /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [ "$detected" = Prescott ] && grep -qw avx2 /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=Haswell
  fi
  if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    echo "OpenBLAS detected '$detected' kernels on this CPU; using OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE for both (OPENBLAS_CORETYPE=native to keep '$detected')" >&2
  fi
fi

mkdir -p "$build/bench"
log="$build/bench/compare_cpu.jsonl"
: >"$log"
echo "threads $threads, $repeats runs each, $windows windows per run; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for m in $models; do
  read -r steps warmup < <(steps_for "$m")
  common=(--model "$m" --device cpu --steps "$steps" --warmup "$warmup" --windows "$windows"
          --threads "$threads")
  for ((r = 1; r <= repeats; ++r)); do
    echo "  $m run $r/$repeats: strata" >&2
    # Resident data on both sides (PyTorch's twin has no shard reader): compute against compute.
    "$strata" bench "${common[@]}" --data resident | sed 's/^{/{"framework": "strata", /' >>"$log"
    echo "  $m run $r/$repeats: pytorch" >&2
    "$python" "$here/pytorch_ref.py" "${common[@]}" | sed 's/^{/{"framework": "pytorch", /' >>"$log"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$log" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
models = list(dict.fromkeys(r["model"] for r in rows))
def med(model, fw, key):
    v = [r[key] for r in rows if r["model"] == model and r["framework"] == fw]
    return statistics.median(v) if v else float("nan")
def cores(fw):
    return ",".join(sorted({r.get("blas_core", "?") for r in rows if r["framework"] == fw}))
print(f"BLAS kernels: strata {cores('strata')}, pytorch {cores('pytorch')} (OpenBLAS)")
print(f"{'model':<14}{'strata/s':>11}{'pytorch/s':>11}{'ratio':>8}{'strata MB':>11}{'pytorch MB':>12}")
for m in models:
    s, p = med(m, "strata", "samples_per_s"), med(m, "pytorch", "samples_per_s")
    print(f"{m:<14}{s:>11.1f}{p:>11.1f}{s / p:>8.2f}"
          f"{med(m, 'strata', 'peak_rss_mb'):>11.1f}{med(m, 'pytorch', 'peak_rss_mb'):>12.1f}")
EOF
