#!/usr/bin/env bash
# `strata scale` end to end: the tables and the recommendation for a benchmark model and an
# experiment file, --measure on this machine (a tiny batch; the times are not checked), and a
# strict cluster file refused with the key named.
#   scale_test.sh STRATA SOURCE_DIR
set -euo pipefail
strata=$1
src=$2
source "$src/tests/support/test_lib.sh"
make_workdir scale
cluster="$src/configs/clusters/dgx_h100_ib.yaml"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"$strata" scale --model sae_layer1 --cluster "$cluster" --step-ms 1.41@256 --gpus 1,8,64 \
  > "$work/out.txt"
for want in "Weak scaling, 256 samples per GPU" "Strong scaling, global batch 256" \
  "| 64 | 16384 | 256 |" "| 64 | 256 | 4 |" "Bucket size on 64 GPUs" \
  "distributed.bucket_mb:" "per-GPU batch:" "time proportional to batch"; do
  grep -qF -- "$want" "$work/out.txt" || fail "missing '$want' in: $(cat "$work/out.txt")"
done
# One GPU: no communication, efficiency 1.
grep -qE '^\| 1 \| 256 \| 256 \| 1\.410 \| 0\.000 \| 0\.000 \| 0\.000 \| 1\.410 \| [0-9]+ \| 1\.000 \|$' \
  "$work/out.txt" || fail "one GPU's row: $(grep '^| 1 |' "$work/out.txt")"

"$strata" scale --config "$src/configs/smoke/gan.yaml" --cluster "$cluster" \
  --step-ms 1@16,1.5@32 --gpus 1,16 > "$work/gan.txt"
grep -qF "discriminator [" "$work/gan.txt" || fail "GAN buckets: $(cat "$work/gan.txt")"
grep -qF "generator [" "$work/gan.txt" || fail "GAN buckets: $(cat "$work/gan.txt")"

"$strata" scale --model sae_layer1 --cluster "$cluster" --measure --measure-steps 1 --batch 8 \
  --global-batch 8 --gpus 1,2 > "$work/measure.txt"
grep -qF "measured here on device cpu" "$work/measure.txt" || fail "$(cat "$work/measure.txt")"

printf 'gpus_per_node: 8\nintra_node: {bandwidth_gbs: 450, latency_us: 3}\nlatency: 1\n' \
  > "$work/bad.yaml"
if "$strata" scale --model sae_layer1 --cluster "$work/bad.yaml" --step-ms 1@256 \
  > "$work/bad.out" 2>&1; then
  fail "a cluster file with an unknown key was accepted"
fi
grep -qF "unknown key 'latency'" "$work/bad.out" || fail "$(cat "$work/bad.out")"
grep -qF "bad.yaml:3" "$work/bad.out" || fail "$(cat "$work/bad.out")"
echo "scale_test: ok"
