#!/usr/bin/env bash
# checkpoint_compare (tests/tools/checkpoint_compare.cpp), which the device script uses to check
# runs that must agree to rounding: a checkpoint agrees with itself and with the same run
# repeated (difference 0), differs from a run with another seed (exit 1, DIFFER), passes that run
# under a tolerance large enough for its difference, and a missing file is an error.
# Usage: checkpoint_compare_test.sh STRATA CHECKPOINT_COMPARE SOURCE_DIR
set -u
strata=$1 compare=$2 src=$3
source "$src/tests/support/test_lib.sh"
make_workdir checkpoint_compare
export OMP_NUM_THREADS=1
fail() { echo "FAIL: $*"; exit 1; }
"$strata" data convert --format synthetic --count 64 --shape 1,8,8 --seed 5 --out "$work/d" \
  > /dev/null || fail "data"
for run in a b; do
  "$strata" train "$src/configs/smoke/autoencoder.yaml" --set data.train="$work/d" --set data.test="$work/d" \
    --set logging.progress=lines --run-dir "$work/$run" > "$work/$run.log" 2>&1 || fail "train $run"
done
"$strata" train "$src/configs/smoke/autoencoder.yaml" --set data.train="$work/d" --set data.test="$work/d" --set seed=99 \
  --set logging.progress=lines --run-dir "$work/c" > "$work/c.log" 2>&1 || fail "train c"
ck() { echo "$work/$1/checkpoints/$(cat "$work/$1/checkpoints/latest")"; }

"$compare" "$(ck a)" "$(ck a)" > "$work/aa" || fail "a checkpoint differs from itself"
"$compare" "$(ck a)" "$(ck b)" > "$work/ab" || fail "the same run twice differs"
grep -q "worst relative difference 0 " "$work/ab" || fail "the same run twice: not 0: $(tail -1 "$work/ab")"
"$compare" "$(ck a)" "$(ck c)" > "$work/ac"
rc=$?
[[ $rc == 1 ]] || fail "another seed: exit $rc, expected 1"
grep -q "DIFFER" "$work/ac" || fail "another seed: no DIFFER line"
"$compare" "$(ck a)" "$(ck c)" 1e9 > /dev/null || fail "another seed under a huge tolerance"
"$compare" "$(ck a)" "$work/missing.h5" > /dev/null 2>&1
[[ $? == 1 ]] || fail "a missing file is not an error"
"$compare" "$(ck a)" > /dev/null 2>&1
[[ $? == 2 ]] || fail "bad usage is not exit 2"
echo "checkpoint_compare: all checks passed"
