#!/usr/bin/env bash
# The test suite under sanitizers (.ci/run runs it after the normal suite):
#   bash tests/sanitize.sh [asan|tsan|all]        (default: all)
#   asan  AddressSanitizer and UndefinedBehaviorSanitizer: everything built in build-asan/, then
#         `ctest -LE slow` there (every test program, the multi-rank ones under mpirun too).
#   tsan  ThreadSanitizer, in build-tsan/ without MPI (TSan cannot follow Open MPI's threads):
#         the communication thread (CollectiveQueue with simulated ranks, polling) and the
#         prefetching reader.
# Any report fails the run (halt_on_error); leaks that Open MPI and OpenBLAS keep until exit are
# suppressed (tests/sanitizers/lsan.supp). Needs the packages of launch/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
what=${1:-all}
jobs=$(nproc)

asan() {
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_CUDA=OFF \
    -DSTRATA_SANITIZE=address,undefined > /dev/null
  cmake --build build-asan -j"$jobs"
  # Open MPI and PMIx keep their plugins loaded (else a leak report shows "unknown module"), and
  # leaks are unwound slowly but whole, so that the suppressions can name the library.
  OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1 \
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0 \
  LSAN_OPTIONS=suppressions=$src/tests/sanitizers/lsan.supp:print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -LE slow --output-on-failure -j2
}

tsan() {
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_CUDA=OFF -DSTRATA_MPI=OFF \
    -DSTRATA_SANITIZE=thread > /dev/null
  cmake --build build-tsan -j"$jobs" --target strata_test_distributed strata_test_core_data
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata_tsan.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local status=0
  for run in "strata_test_distributed CollectiveQueue.*:PollUntil.*" \
    "strata_test_core_data Reader.*"; do
    set -- $run
    echo "tsan: $1 --gtest_filter=$2"
    TMPDIR=$tmp OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
      "build-tsan/bin/$1" --gtest_filter="$2" --gtest_brief=1 || status=1
  done
  return $status
}

case $what in
  asan) asan ;;
  tsan) tsan ;;
  all) asan && tsan ;;
  *) echo "sanitize.sh: unknown '$what'; expected asan, tsan or all" >&2; exit 2 ;;
esac
