#!/usr/bin/env bash
# fault_test.sh FAULT PROBE [MPIEXEC]: runs 3 ranks of fault_probe under mpirun with rank 1
# failing at step 3 (FAULT: throw, crash or hang) and checks that the job ends non-zero, soon,
# and says why: the failing rank's message (throw) or the others' timeout message (hang).
# The whole run sits inside `timeout`, so a bug can never hang CI; the figures are printed.
set -u
fault=${1:?usage: fault_test.sh throw|crash|hang PROBE [MPIEXEC]}
probe=${2:?usage: fault_test.sh throw|crash|hang PROBE [MPIEXEC]}
mpiexec=${3:-mpirun}

hang_timeout_s=3  # the probe's --timeout for the hang case
outer_s=90        # hard bound on the whole run
case "$fault" in
  throw | crash) bound_s=20 ;;
  hang) bound_s=$((hang_timeout_s + 20)) ;;
  *)
    echo "fault_test.sh: unknown fault '$fault'; expected throw, crash or hang" >&2
    exit 2
    ;;
esac

source "$(dirname "$0")/../../support/test_lib.sh"
make_workdir fault_test
log=$work/mpirun.log
start=$(date +%s.%N)
timeout -k 5 "$outer_s" "$mpiexec" -n 3 --oversubscribe --allow-run-as-root "$probe" \
  --fail-rank 1 --fail-step 3 --steps 6 --fault "$fault" --timeout "$hang_timeout_s" \
  >"$log" 2>&1
rc=$?
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')

echo "---- output of mpirun (fault $fault) ----"
cat "$log"
echo "----"
echo "fault_test: fault=$fault exit_code=$rc elapsed_s=$elapsed bound_s=$bound_s"

failed=0
check() {  # check CONDITION-TEXT COMMAND...: prints and counts a failed check
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failed=1
  fi
}
check "mpirun was not killed by the outer timeout ($outer_s s)" test "$rc" -ne 124 -a "$rc" -ne 137
check "the job exited non-zero" test "$rc" -ne 0
check "the job ended within $bound_s s" awk -v e="$elapsed" -v b="$bound_s" 'BEGIN { exit !(e < b) }'
case "$fault" in
  throw)
    check "the failing rank's message is shown" \
      grep -q "fault_probe: error: fault_probe: injected failure at step 3.*\[rank 1," "$log"
    ;;
  crash)
    check "mpirun reports the crashed rank" grep -qiE "signal|Segmentation|exited on" "$log"
    ;;
  hang)
    check "another rank's timeout message is shown" \
      grep -qE "fault_probe: error: all_reduce of [0-9]+ floats did not complete within $hang_timeout_s s \(distributed.timeout_s\)" \
      "$log"
    check "it is not the hanging rank that timed out" bash -c "! grep -q 'timeout_s.*\[rank 1,' '$log'"
    ;;
esac
exit $failed
