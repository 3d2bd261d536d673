#!/usr/bin/env bash
# Checks `strata scale`'s model against what this machine can measure (docs/scaling.md,
# "Validation"): MPI all-reduce times at 2, 3 and 4 ranks fitted to the ring formula (call cost,
# latency a hop, bandwidth) into a cluster file for this machine; then, per model and rank count,
# the data-parallel step with and without gradient reduction (`strata bench --comm`), and the
# prediction of `strata scale` with the fitted cluster from the measured step without reduction.
# Prints a table: model, ranks, measured and predicted all-reduce and step, and their ratios.
#
#   bench/scaling_check.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, $BUILD_DIR/scaling_check)
#
# Environment (all optional):
#   MODELS="sae_finetune"   models (bench/MODELS.md) whose step is checked
#   RANKS="2 3 4"           rank counts measured (the steps also run on 1 rank)
#   FIT_RANKS=              rank counts the all-reduce fit uses (default: those of RANKS up to
#                           the number of cores: the model gives each rank a processor, and ranks
#                           that take turns on a core are slower than any alpha-beta line)
#   ANALYSE_ONLY=1          skip the measurements; fit and compare OUT_DIR's existing results
#   REPEATS=3               runs of each measurement; the medians are compared
#   BATCH=240               global batch (divisible by every rank count)
#   STEPS=10                timed steps of each kind per run of `bench --comm`
#   BUCKET_MB=2             the reducer's bucket size for the steps: buckets stay in the range
#                           of the fit (this machine's all-reduce falls off a cliff above 4 MiB
#                           under load; docs/scaling.md)
# Results: OUT_DIR/allreduce.jsonl, OUT_DIR/steps.jsonl, OUT_DIR/local_fit.yaml, OUT_DIR/table.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
out="${2:-$build/scaling_check}"
strata="$build/bin/strata"
[ -x "$strata" ] || { echo "scaling_check: $strata not found; build Strata first" >&2; exit 1; }
models="${MODELS:-sae_finetune}"
ranks="${RANKS:-2 3 4}"
repeats="${REPEATS:-3}"
batch="${BATCH:-240}"
steps="${STEPS:-10}"
bucket_mb="${BUCKET_MB:-2}"
cores=$(nproc)
fit_ranks="${FIT_RANKS:-$(for n in $ranks; do if ((n <= cores)); then echo "$n"; fi; done)}"
analyse_only="${ANALYSE_ONLY:-0}"
mkdir -p "$out"
mpi=(mpirun --oversubscribe --allow-run-as-root)

# 1. All-reduce time against message size (4 KiB .. 4 MiB), each rank count, REPEATS runs.
if [ "$analyse_only" != 1 ]; then
: > "$out/allreduce.jsonl"
for r in $(seq "$repeats"); do
  for n in $ranks; do
    for bytes in 4096 65536 262144 1048576 2097152 4194304; do
      OMP_NUM_THREADS=1 "${mpi[@]}" -n "$n" "$strata" bench --comm --bytes "$bytes" --iters 20 \
        --warmup 3 --steps 0 | grep '"bench": "comm"' >> "$out/allreduce.jsonl"
    done
  done
done
fi

# 2. The fit: t = call + 2(n-1) alpha + 2(n-1)/n * S / B (the ring of bench/scaling_model.h on one
# node), least squares on relative error over the medians; written as a cluster file.
python3 - "$out" "$fit_ranks" <<'PY'
import json, statistics, sys
out = sys.argv[1]
fit_ranks = {int(n) for n in sys.argv[2].split()}
runs = {}
for line in open(f"{out}/allreduce.jsonl"):
    j = json.loads(line)
    t = j["bytes"] / (j["algbw_gbps"] * 1e9) * 1e6  # us
    runs.setdefault((j["ranks"], j["bytes"]), []).append(t)
every = [(n, s, statistics.median(ts)) for (n, s), ts in sorted(runs.items())]
rows = [r for r in every if r[0] in fit_ranks]
assert rows, f"no all-reduce measured at the rank counts of the fit {sorted(fit_ranks)}"
# Weighted normal equations (weight 1/t^2: relative error) for x = [1, 2(n-1), 2(n-1)/n*S]; with
# one rank count the latency a hop cannot be told from the call cost and is left at 0.
cols = [0, 1, 2] if len({n for n, _, _ in rows}) > 1 else [0, 2]
def features(n, s):
    x = [1.0, 2.0 * (n - 1), 2.0 * (n - 1) / n * s]
    return [x[i] for i in cols]
k = len(cols)
A = [[0.0] * k for _ in range(k)]; b = [0.0] * k
for n, s, t in rows:
    x = features(n, s)
    w = 1.0 / (t * t)
    for i in range(k):
        b[i] += w * x[i] * t
        for j in range(k):
            A[i][j] += w * x[i] * x[j]
for i in range(k):  # Gaussian elimination with partial pivoting
    p = max(range(i, k), key=lambda r: abs(A[r][i])); A[i], A[p] = A[p], A[i]; b[i], b[p] = b[p], b[i]
    for r in range(i + 1, k):
        f = A[r][i] / A[i][i]
        for j in range(i, k): A[r][j] -= f * A[i][j]
        b[r] -= f * b[i]
sol = [0.0] * k
for i in reversed(range(k)):
    sol[i] = (b[i] - sum(A[i][j] * sol[j] for j in range(i + 1, k))) / A[i][i]
c = [0.0, 0.0, 0.0]
for i, col in enumerate(cols): c[col] = sol[i]
call, alpha, inv_bw = max(c[0], 0.0), max(c[1], 0.0), c[2]
gbs = 1e-3 / inv_bw  # bytes/us -> GB/s
with open(f"{out}/local_fit.yaml", "w") as f:
    f.write("# This machine's MPI all-reduce, fitted by bench/scaling_check.sh (medians of its runs):\n")
    f.write(f"# Fitted to {sorted(fit_ranks)} ranks; every rank count measured, fit beside it:\n")
    for n, s, t in every:
        pred = call + 2 * (n - 1) * alpha + 2 * (n - 1) / n * s / (gbs * 1e3)
        f.write(f"#   {n} ranks, {s} bytes: measured {t:.1f} us, fit {pred:.1f} us\n")
    f.write("name: local_fit\ngpus_per_node: 64\n")
    f.write(f"intra_node:\n  bandwidth_gbs: {gbs:.4g}\n  latency_us: {alpha:.4g}\n")
    f.write(f"call_us: {call:.4g}\nalgorithm: ring\n")
    f.write("overlap: false  # every core runs backward: the all-reduce waits for it\n")
print(open(f"{out}/local_fit.yaml").read())
PY

# 3. The step of each model with and without reduction, on 1 rank and each rank count, REPEATS
# runs. One thread a rank: more ranks than cores then share them without OpenMP threads spinning
# against each other (the step without reduction, measured alike, carries the same sharing).
if [ "$analyse_only" != 1 ]; then
: > "$out/steps.jsonl"
for r in $(seq "$repeats"); do
  for m in $models; do
    for n in 1 $ranks; do
      OMP_NUM_THREADS=1 "${mpi[@]}" -n "$n" "$strata" bench --comm --bytes 4096 --iters 1 --warmup 2 \
        --model "$m" --batch "$batch" --steps "$steps" --bucket-mb "$bucket_mb" | grep comm_exposed >> "$out/steps.jsonl"
    done
  done
done
fi

# 4. Predicted against measured: `strata scale` with the fitted cluster, its compute the measured
# step without reduction at the per-rank batch.
python3 - "$out" "$strata" "$bucket_mb" <<'PY'
import json, statistics, subprocess, sys
out, strata, bucket_mb = sys.argv[1:4]
runs = {}
for line in open(f"{out}/steps.jsonl"):
    j = json.loads(line)
    runs.setdefault((j["model"], j["ranks"], j["global_batch"]), []).append(j)
lines = ["| model | ranks | batch per rank | step without reduction ms | all-reduce ms measured | predicted | ratio | step ms measured | predicted | ratio |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for (model, n, gb), js in sorted(runs.items()):
    med = lambda k: statistics.median(j[k] for j in js)
    local = gb // n
    unreduced, reduced, ar = med("step_ms_unreduced"), med("step_ms_reduced"), med("allreduce_ms")
    text = subprocess.run([strata, "scale", "--model", model, "--cluster", f"{out}/local_fit.yaml",
                           "--gpus", str(n), "--batch", str(local), "--global-batch", str(gb),
                           "--step-ms", f"{unreduced}@{local}", "--bucket-mb", bucket_mb],
                          check=True, capture_output=True, text=True).stdout
    weak = text.split("Weak scaling")[1].split("Strong scaling")[0]
    row = [c.strip() for c in weak.strip().splitlines()[-1].strip("|").split("|")]
    pred_ar, pred_step = float(row[4]), float(row[7])
    ar_ratio = f"{pred_ar / ar:.2f}" if ar > 0 else "-"  # one rank: nothing to reduce
    lines.append(f"| {model} | {n} | {local} | {unreduced:.2f} | {ar:.2f} | {pred_ar:.2f} | "
                 f"{ar_ratio} | {reduced:.2f} | {pred_step:.2f} | {pred_step / reduced:.2f} |")
table = "\n".join(lines)
open(f"{out}/table.md", "w").write(table + "\n")
print(table)
PY
