// Shared by the distributed test files: the communicator made by main (communicator_test.cpp)
// from make_communicator("auto"): MPI under mpirun, else the local backend (world size 1).
#pragma once

#include "distributed/communicator.h"

namespace strata {

extern Communicator* g_comm;

}  // namespace strata
