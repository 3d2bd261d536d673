#!/usr/bin/env bash
# fault_test.sh FAULT PROBE [MPIEXEC]: runs 3 ranks of fault_probe under mpirun with rank 1
# failing at step 3, inside its backward pass, and checks how the job ends:
#   throw   the job ends non-zero with rank 1's message, by rank 1's abort (not the others'
#           timeouts: their timeout is 60 s here);
#   crash   rank 1 dies of SIGSEGV; mpirun reports it and ends the job;
#   hang    rank 1 sleeps; another rank's collective times out (3 s) and ends the job with its
#           message;
#   unwind  rank 1 throws and every rank unwinds (--unwind): all three clean up without a crash,
#           and each one's communicator refuses a later collective with its first failure.
# The verdict rests on exit codes and messages, never on how long the job took; the whole run
# sits inside `timeout` only so that a bug cannot hang CI.
set -u
fault=${1:?usage: fault_test.sh throw|crash|hang|unwind PROBE [MPIEXEC]}
probe=${2:?usage: fault_test.sh throw|crash|hang|unwind PROBE [MPIEXEC]}
mpiexec=${3:-mpirun}
source "$(dirname "$0")/../../support/test_lib.sh"
make_workdir fault_test
log=$work/mpirun.log

args=(--fail-rank 1 --fail-step 3 --steps 6)
case "$fault" in
  throw) args+=(--fault throw --timeout 60) ;;
  crash) args+=(--fault crash --timeout 60) ;;
  hang) args+=(--fault hang --timeout 3) ;;
  unwind) args+=(--fault throw --unwind --timeout 3) ;;
  *)
    echo "fault_test.sh: unknown fault '$fault'; expected throw, crash, hang or unwind" >&2
    exit 2
    ;;
esac
outer_s=600
timeout -k 5 "$outer_s" "$mpiexec" -n 3 --oversubscribe --allow-run-as-root "$probe" "${args[@]}" \
  > "$log" 2>&1
rc=$?

echo "---- output of mpirun (fault $fault) ----"
cat "$log"
echo "----"
echo "fault_test: fault=$fault exit_code=$rc"

failed=0
check() { # check DESCRIPTION COMMAND...: prints and counts a failed check
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failed=1
  fi
}
no_crash() { ! grep -qiE "segmentation|signal 11|signal 6|terminate called|AddressSanitizer|double free|corrupted" "$log"; }
check "mpirun was not killed by the outer timeout ($outer_s s)" test "$rc" -ne 124 -a "$rc" -ne 137
check "the job exited non-zero" test "$rc" -ne 0
case "$fault" in
  throw)
    check "the failing rank's message is shown" \
      grep -q "fault_probe: error: fault_probe: injected failure at step 3.*\[rank 1," "$log"
    check "the job ended by the failing rank's abort, not by the others' timeouts" \
      bash -c "! grep -q 'did not complete within' '$log'"
    check "no rank crashed" no_crash
    ;;
  crash)
    check "mpirun reports the crashed rank" grep -qiE "signal|Segmentation|exited on" "$log"
    ;;
  hang)
    check "another rank's timeout message is shown" \
      grep -qE "fault_probe: error: all_reduce of [0-9]+ floats did not complete within 3 s \(distributed.timeout_s\)" \
      "$log"
    check "it is not the hanging rank that timed out" bash -c "! grep -q 'timeout_s.*\[rank 1,' '$log'"
    ;;
  unwind)
    check "rank 1 cleaned up after its own error" \
      grep -q "fault_probe: rank 1 cleaned up after: fault_probe: injected failure at step 3" "$log"
    for r in 0 2; do
      check "rank $r cleaned up after its collective timed out" \
        grep -qE "fault_probe: rank $r cleaned up after: all_reduce of [0-9]+ floats did not complete within 3 s" "$log"
      check "rank $r's communicator refuses a later collective with that timeout" \
        grep -qE "fault_probe: rank $r later collective refused: all_reduce of [0-9]+ floats did not complete" "$log"
    done
    check "rank 1's communicator refuses a later collective: it left the step unfinished" \
      grep -q "fault_probe: rank 1 later collective refused: this rank left its collectives unfinished after an error (the gradient reducer was destroyed in the middle of a step)" "$log"
    check "no rank crashed" no_crash
    ;;
esac
exit $failed
