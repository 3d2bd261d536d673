#!/usr/bin/env bash
# Interrupted commands leave nothing misleading behind; every case drives the real command line
# with real signals.
#   interrupt_test.sh STRATA SOURCE_DIR
#
# 1. strata train stopped by SIGINT, SIGHUP and SIGTERM: a checkpoint, "stop requested (SIG...)",
#    exit 75; the resumed run logs no step twice.
# 2. Ctrl-C typed into a terminal (a pty from script(1)): strata train finishes the progress line,
#    says what it does, checkpoints and exits 75; so does launch/run_local.sh (mpirun), also on
#    SIGHUP.
# 3. A run folder is a whole run or refused: a killed run without a checkpoint is refused for a new
#    run and started over by --resume auto (no record twice); another experiment is refused with
#    the keys that differ; a refused or finished resume leaves config.yaml as it was.
# 4. strata data convert interrupted (SIGINT, SIGKILL): no output folder appears; readers refuse
#    the temporary folder and a folder with a half-written shard; the next conversion cleans up.
#
# A signal is sent while the process is stopped (SIGSTOP) at a known point and delivered by
# SIGCONT, so no verdict depends on how fast the machine is; waits are for events, and their
# bounds only keep a broken program from hanging the suite.
set -u
strata=$(readlink -f "${1:?usage: interrupt_test.sh STRATA SOURCE_DIR}")
src=$(readlink -f "${2:?usage: interrupt_test.sh STRATA SOURCE_DIR}")
source "$src/tests/support/test_lib.sh"
make_workdir interrupt_test
cd "$work" || exit 1
export OMP_NUM_THREADS=1

failed=0
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else
    echo "FAILED: $what"
    failed=1
  fi
}
has() { grep -q -- "$2" "$1"; }
# Steps of the training records of a metrics.jsonl (records with a "loss"), in file order.
train_steps() { grep '"loss"' "$1" | sed -E 's/^\{"step": ([0-9]+).*/\1/'; }
# Whether a metrics.jsonl holds more than N training records.
records_over() { test "$(train_steps "$1" 2> /dev/null | wc -l)" -gt "$2"; }
increasing() { train_steps "$1" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }'; }
# Stops PID, sends it SIGNAL, lets it run on: the signal is taken at a step boundary after now.
signal_at_pause() {
  kill -STOP "$1" && kill "-$2" "$1" && kill -CONT "$1"
}

"$strata" data convert --format synthetic --count 200 --shape 1,8,8 --classes 4 --seed 3 \
  --out data > /dev/null || exit 1
config=$src/configs/smoke/autoencoder.yaml
long=(--set data.train="$work/data" --set data.test="$work/data" --set trainer.epochs=100000
  --set logging.every_steps=5 --set logging.progress=lines)

# ---- 1. SIGINT, SIGHUP, SIGTERM
for sig in INT HUP TERM; do
  dir=$work/run_$sig
  "$strata" train "$config" "${long[@]}" --run-dir "$dir" > "$dir.log" 2>&1 &
  pid=$!
  wait_for 300 test -s "$dir/metrics.jsonl" || echo "no records after 300 s"
  signal_at_pause "$pid" "$sig"
  code=0
  wait "$pid" || code=$?
  check "SIG$sig: exit code 75 (got $code)" test "$code" -eq 75
  check "SIG$sig: 'stop requested (SIG$sig)' and where the checkpoint is" \
    has "$dir.log" "stop requested (SIG$sig): checkpoint $dir/checkpoints/step-"
  check "SIG$sig: checkpoints/latest written" test -s "$dir/checkpoints/latest"
done
# The resumed run continues; stopped again, its metrics.jsonl has every step once.
dir=$work/run_INT
"$strata" train "$config" "${long[@]}" --run-dir "$dir" --resume auto > "$dir.resume.log" 2>&1 &
pid=$!
wait_for 300 has "$dir.resume.log" "resuming from" || echo "no 'resuming from' after 300 s"
before=$(train_steps "$dir/metrics.jsonl" | wc -l)
wait_for 300 records_over "$dir/metrics.jsonl" "$((before + 2))"
signal_at_pause "$pid" USR1
wait "$pid"
check "resumed after SIGINT: metrics.jsonl's steps strictly increase (no step logged twice)" \
  increasing "$dir/metrics.jsonl"

# ---- 2. Ctrl-C in a terminal
# in_terminal LOG COMMAND: runs COMMAND (a shell line) on a pty of its own (script(1)), types
# Ctrl-C once $dir/metrics.jsonl exists, and returns COMMAND's exit code; LOG gets what the
# terminal showed, carriage returns made newlines. script(1) starts COMMAND with $SHELL -c, or
# /bin/sh -c where SHELL is unset (as under CI); dash then waits in the terminal's foreground group
# and dies of the Ctrl-C itself (exit 130) whatever COMMAND does, so COMMAND replaces the shell
# (exec), as a command typed at an interactive shell is the terminal's only foreground process.
in_terminal() {
  local log=$1 cmd=$2 code=0
  rm -f "$work/pty_in"
  mkfifo "$work/pty_in"
  timeout 600 script -qefc "exec $cmd" "$log.typescript" < "$work/pty_in" > /dev/null 2>&1 &
  local pid=$!
  exec 3> "$work/pty_in"
  wait_for 300 test -s "$dir/metrics.jsonl"
  printf '\003' >&3
  wait "$pid" || code=$?
  exec 3>&-
  tr '\r' '\n' < "$log.typescript" > "$log"
  return "$code"
}
dir=$work/tty
code=0
in_terminal "$dir.log" "'$strata' train '$config' ${long[*]} --set logging.progress=auto --run-dir '$dir'" ||
  code=$?
check "Ctrl-C in a terminal: strata train exits 75 (got $code)" test "$code" -eq 75
check "Ctrl-C in a terminal: says it checkpoints, on a line of its own" \
  grep -q "^strata: Ctrl-C: checkpointing at the next step" "$dir.log"
check "Ctrl-C in a terminal: 'stop requested (SIGINT)' starts a line (the bar was cleared)" \
  grep -q "^stop requested (SIGINT): checkpoint" "$dir.log"
check "Ctrl-C in a terminal: checkpoint written" test -s "$dir/checkpoints/latest"

dir=$work/local
code=0
in_terminal "$dir.log" "bash '$src/launch/run_local.sh' -n 2 -b '$(dirname "$(dirname "$strata")")' '$config' ${long[*]} --run-dir '$dir'" ||
  code=$?
check "Ctrl-C in a terminal: launch/run_local.sh (mpirun, 2 ranks) exits 75 (got $code)" \
  test "$code" -eq 75
check "Ctrl-C in a terminal: run_local.sh says what happens" has "$dir.log" "run_local.sh: SIGINT: every rank checkpoints"
check "Ctrl-C in a terminal: run_local.sh's ranks checkpointed" \
  has "$dir.log" "stop requested (SIGUSR1): checkpoint $dir/checkpoints/step-"

dir=$work/local_hup
bash "$src/launch/run_local.sh" -n 2 -b "$(dirname "$(dirname "$strata")")" "$config" "${long[@]}" \
  --run-dir "$dir" > "$dir.log" 2>&1 < /dev/null &
pid=$!
wait_for 300 test -s "$dir/metrics.jsonl"
kill -HUP "$pid"
code=0
wait "$pid" || code=$?
check "SIGHUP to launch/run_local.sh: exit 75 (got $code)" test "$code" -eq 75
check "SIGHUP to launch/run_local.sh: the ranks checkpointed" test -s "$dir/checkpoints/latest"

# ---- 3. Run folders
dir=$work/killed
"$strata" train "$config" "${long[@]}" --set checkpoint.every_epochs=1000000 --run-dir "$dir" \
  > "$dir.log" 2>&1 &
pid=$!
wait_for 300 records_over "$dir/metrics.jsonl" 2
kill -KILL "$pid"
wait "$pid" 2> /dev/null
check "killed before its first checkpoint: no checkpoint (the case under test)" \
  test ! -e "$dir/checkpoints/latest"
cp "$dir/config.yaml" "$dir.config.before"
"$strata" train "$config" "${long[@]}" --run-dir "$dir" > "$dir.new.log" 2>&1
check "a new run in a folder holding a killed run's files is refused, naming them" \
  has "$dir.new.log" "already holds a run (config.yaml, metrics.jsonl"
"$strata" train "$config" "${long[@]}" --set model.layers.1.units=16 --run-dir "$dir" \
  --resume auto > "$dir.other.log" 2>&1
check "--resume auto with another experiment is refused with the key that differs" \
  has "$dir.other.log" "model.layers.1.units: 8 -> 16"
check "the refused runs left config.yaml as it was" cmp -s "$dir/config.yaml" "$dir.config.before"
"$strata" train "$config" "${long[@]}" --run-dir "$dir" --resume auto > "$dir.again.log" 2>&1 &
pid=$!
wait_for 300 has "$dir.again.log" "starting the run over"
wait_for 300 records_over "$dir/metrics.jsonl" 2
signal_at_pause "$pid" USR1
wait "$pid"
check "--resume auto without a checkpoint starts the run over and says so" \
  has "$dir.again.log" "starting the run over"
check "the started-over run's metrics.jsonl has every step once" increasing "$dir/metrics.jsonl"
check "the started-over run's first record is its first logging step" \
  test "$(train_steps "$dir/metrics.jsonl" | head -n 1)" = 5

dir=$work/finished
short=(--set data.train="$work/data" --set data.test="$work/data" --set trainer.epochs=2)
"$strata" train "$config" "${short[@]}" --run-dir "$dir" > "$dir.log" 2>&1
cp "$dir/config.yaml" "$dir.config.before"
"$strata" train "$config" "${short[@]}" --run-dir "$dir" --resume auto > "$dir.same.log" 2>&1
check "--resume auto of a finished run: nothing to do" has "$dir.same.log" "already complete"
"$strata" train "$config" "${short[@]}" --set trainer.epochs=3 --run-dir "$dir" --resume auto \
  > "$dir.more.log" 2>&1
check "--resume auto with other trainer.epochs is refused, naming the key" \
  has "$dir.more.log" "trainer.epochs: 2 -> 3"
check "a finished or refused resume leaves config.yaml as it was" \
  cmp -s "$dir/config.yaml" "$dir.config.before"

# ---- 4. strata data convert
# A conversion of several seconds (run directly, not in a function: the signals must reach it).
big=(data convert --format synthetic --count 400000 --shape 1,28,28 --compression gzip
  --shard-size 20000 --out conv)
partial() { compgen -G "$work/.$1.partial-*" > /dev/null; }
"$strata" "${big[@]}" > conv.log 2>&1 &
pid=$!
wait_for 300 partial conv
signal_at_pause "$pid" INT
code=0
wait "$pid" || code=$?
check "convert stopped by SIGINT: exit 130 (got $code)" test "$code" -eq 130
check "convert stopped by SIGINT: says nothing was written" has conv.log "nothing was written to conv"
check "convert stopped by SIGINT: no output folder" test ! -e conv
check "convert stopped by SIGINT: its temporary folder removed" bash -c "! compgen -G '$work/.conv.partial-*'"

"$strata" "${big[@]}" > conv.log 2>&1 &
pid=$!
# Killed once its first shard file exists (waited for while it runs: stopped, it would write none).
wait_for 300 bash -c "compgen -G '$work/.conv.partial-*/shard-*' > /dev/null"
kill -KILL "$pid"
wait "$pid" 2> /dev/null
check "convert killed (SIGKILL): no output folder" test ! -e conv
left=$(compgen -G "$work/.conv.partial-*" | head -n 1)
check "convert killed (SIGKILL): only its hidden temporary folder is left" test -n "$left"
"$strata" data inspect "$left" > inspect.log 2>&1
check "data inspect refuses the temporary folder of an unfinished conversion" \
  has inspect.log "temporary folder of a conversion that did not finish"
"$strata" data convert --format synthetic --count 50 --shape 1,8,8 --out conv > conv2.log 2>&1
check "the next conversion removes the abandoned temporary folder and says so" \
  has conv2.log "left by an interrupted conversion"
check "the next conversion wrote the folder" test -s conv/shard-00000.h5
check "no temporary folder is left" bash -c "! compgen -G '$work/.conv.partial-*'"
cp conv/shard-00000.h5 conv/shard-00001.h5.tmp-4242
"$strata" data inspect conv > inspect2.log 2>&1
check "data inspect refuses a folder holding a half-written shard, naming it" \
  has inspect2.log "holds shard-00001.h5.tmp-4242"
"$strata" train "$config" --set data.train="$work/conv" --set data.test="$work/data" --run-dir "$work/r" \
  > train_tmp.log 2>&1
check "strata train refuses it too" has train_tmp.log "shard-00001.h5.tmp-4242"

exit $failed
