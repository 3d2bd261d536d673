// How many CPU threads (OpenMP and OpenBLAS) each rank uses. Explicit choices win: --threads N,
// else an OMP_NUM_THREADS in the environment. Otherwise each rank takes its share of the CPUs it
// may use (its affinity mask): a CPU that k ranks of the same node may use counts 1/k for each of
// them, and a rank gets the sum of its shares, rounded down, at least 1. So ranks bound to their
// own cores (mpirun --bind-to core, srun --cpu-bind) use all of them, and ranks that a launcher
// left unbound (srun without binding, a bare mpirun --bind-to none) split the cores they share
// instead of each starting one thread per core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distributed/communicator.h"

namespace strata {

// The CPUs one rank may use and the machine (kernel instance) it runs on.
struct RankCpus {
  std::string node;       // the same string for every rank of one machine
  std::vector<int> cpus;  // CPU ids, ascending
};

// This process's CpuSet: its affinity mask, on the node named by the kernel's boot id (shared by
// every process and container of one machine), or the host name where that is unreadable.
RankCpus this_rank_cpus();

// The automatic thread count of rank `me` given every rank's CPUs (see the top of the file).
int share_of_cpus(const std::vector<RankCpus>& all, int me, int* sharing_ranks = nullptr);

struct ThreadPlan {
  int threads = 1;
  std::string source;     // "--threads", "OMP_NUM_THREADS" or "auto"
  int cpus = 0;           // CPUs this rank may use
  int sharing_ranks = 1;  // ranks of this node that may use at least one of them (with this one)
  // One line for the start of a run, e.g. "1 thread per rank (auto: 2 CPUs shared by 2 ranks)".
  std::string describe() const;
};

// Decides and applies (set_cpu_threads) this rank's thread count. Collective: every rank calls it
// with the same requested value (0: no --threads).
ThreadPlan plan_cpu_threads(Communicator& comm, int requested);

}  // namespace strata
