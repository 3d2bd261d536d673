#!/usr/bin/env bash
# PyTorch eager on one GPU for the four benchmark models at fp32, tf32 and bf16: the reference
# figures of docs/benchmarks.md (issue 6 measures Strata's CUDA backend against them, on the same
# card in the same run). One JSON line per run, then a table. Needs python3 with CUDA PyTorch.
#   usage: bench/pytorch_gpu_table.sh [STEPS] [WINDOWS]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
steps=${1:-50} windows=${2:-5}
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
log=$(mktemp)
for model in sae_finetune sae_layer1 dcgan28 dcgan64; do
  for precision in fp32 tf32 bf16; do
    python3 "$here/pytorch_ref.py" --device cuda --model "$model" --precision "$precision" \
      --steps "$steps" --windows "$windows" --warmup 10 | tee -a "$log" \
      || echo "{\"model\": \"$model\", \"precision\": \"$precision\", \"error\": true}" | tee -a "$log"
  done
done
python3 - "$log" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("| model | batch | precision | samples/s | step ms | peak GPU MiB |")
print("|---|---|---|---|---|---|")
for r in rows:
    if r.get("error"):
        print(f"| {r['model']} | | {r['precision']} | failed | | |")
        continue
    print(f"| {r['model']} | {r['batch']} | {r['precision']} | {r['samples_per_s']:.0f} | "
          f"{r['step_ms_median']} | {r['peak_gpu_mb']} |")
if rows and not rows[0].get("error"):
    r = rows[0]
    print(f"\n{r['gpu']}, torch {r['torch']}, CUDA {r['cuda']}, cuDNN {r['cudnn']}")
PY
