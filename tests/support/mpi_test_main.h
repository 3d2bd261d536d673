// The main of the test programs that ctest runs without mpirun (world size 1) and under mpirun
// with 1 to 4 ranks: it makes the communicator (make_communicator("auto")), publishes it as
// g_comm, runs the tests, and makes every rank exit with the same code. On ranks other than 0
// only failures are printed, tagged with the rank.
//
// Tests must call collectives in the same order on every rank; to fail together, each rank counts
// its wrong values and the counts are summed over ranks (global_errors), so no rank is left
// waiting in a collective that the others skipped (the nccl-tests habit).
//
// A test that fails on one rank only (an exception, a fatal assertion) leaves the ranks out of
// step on g_comm: the others wait in a collective until it times out. So after every test the
// ranks agree, on a communicator of the harness's own that tests never use, whether g_comm is
// still whole everywhere; if it is not, every rank replaces it with a new one before the next
// test. One test's failure thus never lets the next test's collectives be matched with its
// leftovers (which once wrote into buffers the failed test had freed).
#pragma once

#include <cstdint>

#include "distributed/communicator.h"

namespace strata {

extern Communicator* g_comm;

// The sum over all ranks of each rank's local_errors (collective).
int64_t global_errors(Communicator& comm, int64_t local_errors);

}  // namespace strata
