# Shared by the shell tests (source it): a work folder of the test's own and bounded waits.
#
#   make_workdir NAME   sets $work to a new folder under $TMPDIR (ctest points TMPDIR into the
#                       build tree), removed on every exit path: normal exit, a failed check,
#                       and SIGINT/SIGTERM/SIGHUP (ctest's timeout), which first end the jobs
#                       this shell started. STRATA_TEST_KEEP=1 keeps it (to debug a failure).
#   wait_for SECONDS COMMAND...
#                       polls COMMAND every 0.1 s until it succeeds; returns 1 after SECONDS.
#                       The bound only keeps a broken program from hanging the suite: tests wait
#                       for events (a line in a log, a file), never for a fixed time, and the
#                       bounds are far above what the slowest machine needs.

make_workdir() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/strata_${1:-test}.XXXXXX") || exit 1
  trap '_test_lib_cleanup' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

_test_lib_cleanup() {
  local rc=$?
  local jobs_left
  jobs_left=$(jobs -p)
  if [[ -n $jobs_left ]]; then
    kill -TERM $jobs_left 2> /dev/null
    sleep 0.5
    kill -KILL $jobs_left 2> /dev/null
    wait 2> /dev/null
  fi
  if [[ -n ${STRATA_TEST_KEEP:-} ]]; then
    echo "kept $work (STRATA_TEST_KEEP)"
  elif [[ -n ${work:-} ]]; then
    rm -rf "$work"
  fi
  exit "$rc"
}

wait_for() {
  local limit=$1
  shift
  local tries=$((limit * 10))
  while ((tries-- > 0)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}
