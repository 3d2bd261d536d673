// The automatic thread count: each rank's share of the CPUs it may use, where a CPU that k ranks
// of one node may use counts 1/k for each (distributed/thread_plan.h).
#include "distributed/thread_plan.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "core/blas.h"
#include "core/cpu_threads.h"
#include "distributed/local_communicator.h"

namespace strata {
namespace {

std::vector<int> cpus(int first, int count) {
  std::vector<int> v(count);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(ThreadPlan, OneRankUsesEveryCpuItMay) {
  int sharing = 0;
  EXPECT_EQ(share_of_cpus({{"n", cpus(0, 4)}}, 0, &sharing), 4);
  EXPECT_EQ(sharing, 1);
}

TEST(ThreadPlan, UnboundRanksOfOneNodeSplitTheirCpus) {
  // srun -n 2 without binding on 2 cores: both may use both, so each gets one.
  const std::vector<RankCpus> all = {{"n", cpus(0, 2)}, {"n", cpus(0, 2)}};
  int sharing = 0;
  EXPECT_EQ(share_of_cpus(all, 0, &sharing), 1);
  EXPECT_EQ(sharing, 2);
  EXPECT_EQ(share_of_cpus(all, 1), 1);
  // Four ranks on 16 cores: four each.
  const std::vector<RankCpus> four(4, RankCpus{"n", cpus(0, 16)});
  for (int r = 0; r < 4; ++r) EXPECT_EQ(share_of_cpus(four, r), 4);
}

TEST(ThreadPlan, BoundRanksKeepTheirOwnCores) {
  // mpirun --map-by slot:PE=4 --bind-to core: disjoint sets of 4.
  const std::vector<RankCpus> all = {{"n", cpus(0, 4)}, {"n", cpus(4, 4)}};
  int sharing = 0;
  EXPECT_EQ(share_of_cpus(all, 0, &sharing), 4);
  EXPECT_EQ(sharing, 1);
  EXPECT_EQ(share_of_cpus(all, 1), 4);
}

TEST(ThreadPlan, RanksOnOtherNodesDoNotCount) {
  const std::vector<RankCpus> all = {{"a", cpus(0, 8)}, {"b", cpus(0, 8)}, {"a", cpus(0, 8)}};
  EXPECT_EQ(share_of_cpus(all, 0), 4);
  EXPECT_EQ(share_of_cpus(all, 1), 8);
  EXPECT_EQ(share_of_cpus(all, 2), 4);
}

TEST(ThreadPlan, MoreRanksThanCpusStillGetOneThread) {
  const std::vector<RankCpus> all(3, RankCpus{"n", cpus(0, 2)});
  for (int r = 0; r < 3; ++r) EXPECT_EQ(share_of_cpus(all, r), 1);
}

TEST(ThreadPlan, PartlyOverlappingMasksCountEachCpusShare) {
  // Two unbound ranks on 8 CPUs and a third bound to CPU 0: CPU 0 counts 1/3, the rest 1/2.
  const std::vector<RankCpus> all = {{"n", cpus(0, 8)}, {"n", cpus(0, 8)}, {"n", {0}}};
  int sharing = 0;
  EXPECT_EQ(share_of_cpus(all, 0, &sharing), 3);  // 1/3 + 7/2 = 3.83
  EXPECT_EQ(sharing, 3);
  EXPECT_EQ(share_of_cpus(all, 2), 1);
}

TEST(ThreadPlan, ThisProcessHasANodeAndCpus) {
  const RankCpus mine = this_rank_cpus();
  EXPECT_FALSE(mine.node.empty());
  ASSERT_FALSE(mine.cpus.empty());
  EXPECT_TRUE(std::is_sorted(mine.cpus.begin(), mine.cpus.end()));
}

TEST(ThreadPlan, AnExplicitCountWinsAndIsApplied) {
  const int before = cpu_threads();
  LocalCommunicator local;
  const ThreadPlan plan = plan_cpu_threads(local, 3);
  EXPECT_EQ(plan.threads, 3);
  EXPECT_EQ(plan.source, "--threads");
  EXPECT_EQ(cpu_threads(), 3);
  EXPECT_NE(plan.describe().find("3 threads per rank (from --threads)"), std::string::npos)
      << plan.describe();
  set_cpu_threads(before);
}

TEST(ThreadPlan, OmpNumThreadsInTheEnvironmentIsKept) {
  // ctest sets OMP_NUM_THREADS for every test program.
  ASSERT_NE(std::getenv("OMP_NUM_THREADS"), nullptr);
  LocalCommunicator local;
  const int before = cpu_threads();
  const ThreadPlan plan = plan_cpu_threads(local, 0);
  EXPECT_EQ(plan.source, "OMP_NUM_THREADS");
  EXPECT_EQ(plan.threads, before);
}

}  // namespace
}  // namespace strata
