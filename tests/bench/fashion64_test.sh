#!/usr/bin/env bash
# bench/fashion64.py makes 64x64 RGB class folders from Debian's Fashion-MNIST that strata
# converts into 3x64x64 shards with 10 classes (the real-data input of configs/dcgan64.yaml).
#   usage: fashion64_test.sh STRATA SOURCE_DIR
set -uo pipefail
strata=$1 src=$2
source "$(dirname "$0")/../support/test_lib.sh"
make_workdir fashion64_test
fail() { echo "FAIL: $*"; exit 1; }
python3 "$src/bench/fashion64.py" --count 40 --out "$work/png" || fail "fashion64.py"
[[ $(find "$work/png" -name '*.png' | wc -l) == 40 ]] || fail "expected 40 PNGs"
"$strata" data convert --format png --input "$work/png" --out "$work/shards" > /dev/null || fail "convert"
info=$("$strata" data inspect "$work/shards") || fail "inspect"
echo "$info" | head -8
[[ $info == *"samples: 40"* ]] || fail "sample count"
[[ $info == *"shape: 3x64x64"* ]] || fail "shape"
[[ $info == *"10 classes"* ]] || fail "classes"
echo PASS
