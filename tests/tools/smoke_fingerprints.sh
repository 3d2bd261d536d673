#!/usr/bin/env bash
# smoke_fingerprints.sh BUILD_DIR OUT_FILE: trains every configs/smoke/*.yaml on 1 rank and on 3
# ranks (mpirun, one thread each, the same synthetic data) and writes, per run, its metrics.jsonl
# without the timing fields (samples_per_s, data_wait_ms) and the digest of its final checkpoint
# (tests/tools/checkpoint_digest.cpp). Run it with two builds - before and after a change - and
# compare the files: equal files mean bit-for-bit equal metrics and checkpoints.
set -u
build=$(readlink -f "${1:?usage: smoke_fingerprints.sh BUILD_DIR OUT_FILE}")
out=${2:?usage: smoke_fingerprints.sh BUILD_DIR OUT_FILE}
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/support/test_lib.sh"
make_workdir fingerprints
export OMP_NUM_THREADS=1
strata=$build/bin/strata
"$strata" data convert --format synthetic --count 120 --shape 1,8,8 --classes 4 --seed 5 \
  --out "$work/train" > /dev/null || exit 1
"$strata" data convert --format synthetic --count 48 --shape 1,8,8 --classes 4 --seed 6 \
  --out "$work/test" > /dev/null || exit 1
: > "$out"
status=0
for config in "$src"/configs/smoke/*.yaml; do
  name=$(basename "$config" .yaml)
  for ranks in 1 3; do
    run=$work/$name-$ranks
    launch=("$strata")
    ((ranks > 1)) && launch=(mpirun -n "$ranks" --oversubscribe --allow-run-as-root "$strata")
    if ! "${launch[@]}" train "$config" --set data.train="$work/train" --set data.test="$work/test" \
      --set logging.progress=lines --run-dir "$run" > "$run.log" 2>&1; then
      echo "FAILED: $name on $ranks rank(s):" && tail -n 5 "$run.log"
      status=1
      continue
    fi
    {
      echo "== $name, $ranks rank(s)"
      sed -E 's/, "(samples_per_s|data_wait_ms)": [^,}]*//g' "$run/metrics.jsonl"
      "$build/bin/checkpoint_digest" "$run/checkpoints/$(cat "$run/checkpoints/latest")"
    } >> "$out" || status=1
  done
done
echo "wrote $out ($(grep -c '^==' "$out") runs)"
exit $status
