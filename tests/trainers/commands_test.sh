#!/usr/bin/env bash
# The commands that use a trained run, end to end on smoke runs: strata encode (codes of the
# stacked autoencoder), strata sample (a GAN's PNG grid and HDF5 images), strata eval (MSE,
# accuracy, and the GAN's Frechet distance on a classifier's features, trained and initial
# weights), strata plot, their errors, and the flags every subcommand shares.
# Usage: commands_test.sh STRATA SOURCE_DIR
set -uo pipefail
strata=$1
src=$2
source "$(dirname "$0")/../support/test_lib.sh"
make_workdir commands_test
export OMP_NUM_THREADS=1
status=0
fail() { echo "FAIL: $*"; status=1; }

"$strata" data convert --format synthetic --count 160 --shape 1,8,8 --classes 4 --seed 3 \
  --out "$work/data" > /dev/null || exit 1
sets=(--set "data.train=$work/data" --set "data.test=$work/data")
for run in stacked_ae classifier gan; do
  "$strata" train "$src/configs/smoke/$run.yaml" "${sets[@]}" --run-dir "$work/$run" \
    > "$work/$run.log" 2>&1 || { fail "training $run"; tail -5 "$work/$run.log"; }
done

# encode: one code per sample, with labels.
out=$("$strata" encode --checkpoint "$work/stacked_ae" --data "$work/data" --out "$work/codes.h5") \
  || fail "encode"
echo "$out"
[[ $out == *"wrote 160 codes of 4 values with labels"* ]] || fail "encode output: $out"
[[ -f $work/codes.h5 && ! -e $work/codes.h5.tmp ]] || fail "no codes.h5"

# sample: a PNG (magic bytes) and HDF5 images that strata data inspect reads as a data set.
"$strata" sample --checkpoint "$work/gan" --out "$work/grid.png" --count 16 --columns 4 || fail "sample png"
[[ $(head -c 8 "$work/grid.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "not a PNG"
"$strata" sample --checkpoint "$work/gan" --out "$work/images.h5" --count 10 || fail "sample h5"
"$strata" data inspect "$work/images.h5" | grep -q "^samples: 10$" || fail "inspect of sampled images"

# eval: each kind its metric, as a line and a JSON line.
"$strata" eval --checkpoint "$work/stacked_ae" --data "$work/data" | grep -q '"metric": "reconstruction_mse"' \
  || fail "eval stacked"
"$strata" eval --checkpoint "$work/classifier" --data "$work/data" | grep -q '"metric": "accuracy"' \
  || fail "eval classifier"
fd_trained=$("$strata" eval --checkpoint "$work/gan" --data "$work/data" --classifier "$work/classifier" \
  --count 64 | grep -o '"value": [0-9.e+-]*' | cut -d' ' -f2) || fail "eval gan"
fd_initial=$("$strata" eval --checkpoint "$work/gan" --data "$work/data" --classifier "$work/classifier" \
  --count 64 --weights initial | grep -o '"value": [0-9.e+-]*' | cut -d' ' -f2) || fail "eval gan initial"
echo "Frechet distance: initial weights $fd_initial, trained $fd_trained"
[[ -n $fd_trained && -n $fd_initial && $fd_trained != "$fd_initial" ]] || fail "Frechet distances"

# Errors: a non-zero exit and a message that names the problem.
msg=$("$strata" eval --checkpoint "$work/gan" --data "$work/data" 2>&1) && fail "GAN eval without --classifier"
[[ $msg == *"--classifier"* ]] || fail "message: $msg"
msg=$("$strata" encode --checkpoint "$work/nowhere" --data "$work/data" --out "$work/x.h5" 2>&1) \
  && fail "encode of a missing run"
[[ $msg == *"nowhere"* ]] || fail "message: $msg"
[[ ! -e $work/x.h5 ]] || fail "output written despite the error"

# plot: strata train leaves loss.png in the run folder; strata plot draws any metric (a PNG of
# the size asked for: IHDR's width and height at bytes 16..23), and fails clearly without input.
for run in stacked_ae gan; do
  [[ -s $work/$run/loss.png ]] || fail "no loss.png in the $run run folder"
done
"$strata" plot "$work/stacked_ae" --out "$work/plot.png" || fail "plot"
[[ $(head -c 8 "$work/plot.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "plot: not a PNG"
"$strata" plot "$work/gan/metrics.jsonl" --metric d_loss,g_loss --log-y --width 640 --height 400 \
  || fail "plot d_loss,g_loss"
[[ $(od -An -tx1 -j16 -N8 "$work/gan/d_loss_g_loss.png" | tr -d ' \n') == 0000028000000190 ]] \
  || fail "plot: no 640 x 400 d_loss_g_loss.png beside the metrics"
msg=$("$strata" plot "$work/nowhere" 2>&1) && fail "plot of a missing run"
[[ $msg == *"nowhere: no such file or folder"* ]] || fail "message: $msg"
msg=$("$strata" plot "$work/gan" --metric accuracy 2>&1) && fail "plot of a missing metric"
[[ $msg == *"accuracy"*"d_loss, g_loss"* ]] || fail "message: $msg"
# The command line: every subcommand refuses an unknown option by name (exit 1, one line on
# stderr), prints its options for --help (exit 0, stdout), and a missing command is exit 2.
for cmd in train bench "data convert" "data inspect" encode sample eval plot info config-doc; do
  # shellcheck disable=SC2086  # "data convert" is two words
  msg=$("$strata" $cmd --bogus=1 2>&1 >/dev/null); code=$?
  [[ $code == 1 && $msg == "strata ${cmd%% *}: error: unknown option '--bogus'; see 'strata $cmd --help'"* ]] \
    || fail "$cmd --bogus: exit $code, $msg"
  # shellcheck disable=SC2086
  help=$("$strata" $cmd --help 2>/dev/null); code=$?
  [[ $code == 0 && $help == *"Usage: strata $cmd "*"--help"* ]] || fail "$cmd --help: exit $code, $help"
done
msg=$("$strata" train "$src/configs/smoke/gan.yaml" --threads 0 2>&1) && fail "train --threads 0"
[[ $msg == *"--threads: must be between 1 and 4096, got 0"* ]] || fail "message: $msg"
msg=$("$strata" eval --checkpoint "$work/gan" --count 2>&1) && fail "eval --count without a value"
[[ $msg == *"--count needs a value"* ]] || fail "message: $msg"
"$strata" data > /dev/null 2>&1; code=$?
[[ $code == 2 ]] || fail "strata data without a command: exit $code"
"$strata" > /dev/null 2>&1; code=$?
[[ $code == 2 ]] || fail "strata without a command: exit $code"
exit $status
