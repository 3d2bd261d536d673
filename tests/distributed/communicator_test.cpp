// Communicator tests, run under mpirun with 1..4 ranks and without mpirun (world size 1, local
// backend). Buffers are filled from the rank so that every answer is known; each rank counts its
// wrong elements and the counts are summed over ranks, so all ranks pass or fail together and no
// rank is left waiting in a collective that the others skipped (the nccl-tests habit).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <vector>

#include "core/error.h"
#include "distributed/communicator.h"
#include "distributed/local_communicator.h"
#include "tests/distributed/test_comm.h"
#if STRATA_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif

namespace strata {

Communicator* g_comm = nullptr;  // made by main from make_communicator("auto")

namespace {

const std::vector<int64_t> kCounts = {0, 1, 7, 5'000'000};

// Sums each rank's count of wrong elements over all ranks.
int64_t global_errors(Communicator& comm, int64_t local_errors) {
  float errors = static_cast<float>(local_errors);
  comm.all_reduce(&errors, 1, ReduceOp::kSum);
  return static_cast<int64_t>(errors);
}

bool near(float got, float want) {
  return std::fabs(got - want) <= 1e-5f * std::max(1.0f, std::fabs(want));
}

// value = rank + 1 + i % 3, so sum = size*(size+1)/2 + size*(i % 3).
void fill_rank_values(std::vector<float>& buf, int rank) {
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<float>(rank + 1 + i % 3);
}

float expected(int64_t i, int size, ReduceOp op) {
  const float sum = static_cast<float>(size * (size + 1) / 2 + size * (i % 3));
  return op == ReduceOp::kSum ? sum : sum / static_cast<float>(size);
}

int64_t count_reduce_errors(const std::vector<float>& buf, int size, ReduceOp op) {
  int64_t errors = 0;
  for (size_t i = 0; i < buf.size(); ++i) errors += !near(buf[i], expected(i, size, op));
  return errors;
}

void check_all_reduce(Communicator& comm, int64_t count, ReduceOp op) {
  std::vector<float> buf(count);
  fill_rank_values(buf, comm.rank());
  comm.all_reduce(buf.data(), count, op);
  EXPECT_EQ(global_errors(comm, count_reduce_errors(buf, comm.size(), op)), 0)
      << "count " << count << (op == ReduceOp::kSum ? " sum" : " average");
}

TEST(Communicator, BackendMatchesLaunch) {
#if STRATA_WITH_MPI
  EXPECT_EQ(g_comm->name(), launched_by_mpirun() ? "mpi" : "local");
#else
  EXPECT_EQ(g_comm->name(), "local");
#endif
  EXPECT_GE(g_comm->size(), 1);
  EXPECT_GE(g_comm->rank(), 0);
  EXPECT_LT(g_comm->rank(), g_comm->size());
  EXPECT_GE(g_comm->local_rank(), 0);
  EXPECT_LT(g_comm->local_rank(), g_comm->local_size());
  EXPECT_LE(g_comm->local_size(), g_comm->size());
  // Every rank runs on this one machine, so the node holds the whole world.
  EXPECT_EQ(g_comm->local_size(), g_comm->size());
  EXPECT_EQ(error_rank(), g_comm->rank());
}

TEST(Communicator, AllReduceSum) {
  for (int64_t count : kCounts) check_all_reduce(*g_comm, count, ReduceOp::kSum);
}

TEST(Communicator, AllReduceAverage) {
  for (int64_t count : kCounts) check_all_reduce(*g_comm, count, ReduceOp::kAverage);
}

TEST(Communicator, AverageDividesBeforeTheSum) {
  // Every rank holds nearly FLT_MAX: summing first would overflow to inf on two or more ranks.
  std::vector<float> buf(5, 3.0e38f);
  g_comm->all_reduce(buf.data(), static_cast<int64_t>(buf.size()), ReduceOp::kAverage);
  int64_t errors = 0;
  for (float v : buf) errors += !(std::isfinite(v) && near(v, 3.0e38f));
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

TEST(Communicator, AsyncHandlesWaitedOutOfOrder) {
  const int size = g_comm->size();
  const std::vector<int64_t> counts = {7, 5'000'000, 1, 0, 1000};
  const std::vector<ReduceOp> ops = {ReduceOp::kSum, ReduceOp::kAverage, ReduceOp::kSum,
                                     ReduceOp::kAverage, ReduceOp::kAverage};
  std::vector<std::vector<float>> bufs(counts.size());
  std::vector<CommHandle> handles;
  for (size_t k = 0; k < counts.size(); ++k) {
    bufs[k].resize(counts[k]);
    fill_rank_values(bufs[k], g_comm->rank());
    handles.push_back(g_comm->all_reduce_async(bufs[k].data(), counts[k], ops[k]));
  }
  for (size_t k : {3, 1, 4, 0, 2}) handles[k].wait();
  for (auto& handle : handles) handle.wait();  // a second wait is a no-op
  int64_t errors = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    errors += count_reduce_errors(bufs[k], size, ops[k]);
    errors += handles[k].pending();
  }
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

TEST(Communicator, UnwaitedHandleIsWaitedByItsDestructor) {
  std::vector<float> a(1001), b(33);
  fill_rank_values(a, g_comm->rank());
  fill_rank_values(b, g_comm->rank());
  {
    CommHandle first = g_comm->all_reduce_async(a.data(), 1001, ReduceOp::kSum);
    CommHandle second = g_comm->all_reduce_async(b.data(), 33, ReduceOp::kAverage);
    CommHandle moved = std::move(first);  // the moved-from handle must not wait again
    EXPECT_FALSE(first.pending());
  }  // neither waited: the destructors wait
  const int64_t errors = count_reduce_errors(a, g_comm->size(), ReduceOp::kSum) +
                         count_reduce_errors(b, g_comm->size(), ReduceOp::kAverage);
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

void check_broadcast(Communicator& comm, int root) {
  for (int64_t count : kCounts) {
    std::vector<float> buf(count);
    for (int64_t i = 0; i < count; ++i) buf[i] = static_cast<float>(comm.rank() * 1000 + i % 7);
    comm.broadcast(buf.data(), count, root);
    int64_t errors = 0;
    for (int64_t i = 0; i < count; ++i) errors += buf[i] != static_cast<float>(root * 1000 + i % 7);
    EXPECT_EQ(global_errors(comm, errors), 0) << "count " << count << " root " << root;
  }
}

TEST(Communicator, BroadcastFromFirstRank) {
  check_broadcast(*g_comm, 0);
}

TEST(Communicator, BroadcastFromLastRank) {
  check_broadcast(*g_comm, g_comm->size() - 1);
}

TEST(Communicator, BroadcastRejectsABadRoot) {
  float x = 0;
  EXPECT_THROW(g_comm->broadcast(&x, 1, g_comm->size()), Error);
  EXPECT_THROW(g_comm->broadcast(&x, 1, -1), Error);
}

void check_all_gather(Communicator& comm, int64_t count) {
  const int size = comm.size();
  std::vector<float> in(count), out(count * size, -1.0f);
  for (int64_t i = 0; i < count; ++i) in[i] = static_cast<float>(comm.rank() * 10 + i % 5);
  comm.all_gather(in.data(), count, out.data());
  int64_t errors = 0;
  for (int r = 0; r < size; ++r) {
    for (int64_t i = 0; i < count; ++i)
      errors += out[r * count + i] != static_cast<float>(r * 10 + i % 5);
  }
  EXPECT_EQ(global_errors(comm, errors), 0) << "count " << count;
}

TEST(Communicator, AllGather) {
  for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{100'000}}) {
    check_all_gather(*g_comm, count);
  }
}

TEST(Communicator, Barrier) {
  // Each rank adds 1 only after the barrier; the sum then counts every rank that got through.
  g_comm->barrier();
  float one = 1.0f;
  g_comm->all_reduce(&one, 1, ReduceOp::kSum);
  g_comm->barrier();
  EXPECT_EQ(one, static_cast<float>(g_comm->size()));
}

TEST(Communicator, NegativeCountIsAnError) {
  float x = 0;
  EXPECT_THROW(g_comm->all_reduce(&x, -1, ReduceOp::kSum), Error);
}

TEST(MakeCommunicator, NamesTheBackendThatIsMissing) {
  try {
    make_communicator("nccl");
    FAIL() << "nccl should throw";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("NCCL"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("CUDA"), std::string::npos) << e.message();
  }
  EXPECT_THROW(make_communicator("gloo"), Error);
  EXPECT_EQ(make_communicator("local")->name(), "local");
}

TEST(LocalCommunicator, IsWorldSizeOne) {
  LocalCommunicator local;
  EXPECT_EQ(local.size(), 1);
  EXPECT_EQ(local.rank(), 0);
  std::vector<float> buf = {1, 2, 3};
  local.all_reduce(buf.data(), 3, ReduceOp::kAverage);
  local.all_reduce_async(buf.data(), 3, ReduceOp::kSum).wait();
  local.broadcast(buf.data(), 3, 0);
  EXPECT_EQ(buf, (std::vector<float>{1, 2, 3}));
  std::vector<float> out(3);
  local.all_gather(buf.data(), 3, out.data());
  EXPECT_EQ(out, buf);
  EXPECT_THROW(local.broadcast(buf.data(), 3, 1), Error);
}

#if STRATA_WITH_MPI
// Buffers above INT_MAX elements are split into pieces; a tiny max_count exercises that path on
// small buffers, including uneven last pieces.
TEST(MpiCommunicator, SplitsLargeCountsIntoPieces) {
  if (g_comm->name() != "mpi") GTEST_SKIP() << "not started by mpirun";
  MpiCommunicator comm(/*max_count=*/5);
  EXPECT_EQ(comm.size(), g_comm->size());
  EXPECT_EQ(comm.rank(), g_comm->rank());
  for (int64_t count : {int64_t{0}, int64_t{5}, int64_t{23}}) {
    check_all_reduce(comm, count, ReduceOp::kSum);
    check_all_reduce(comm, count, ReduceOp::kAverage);
    check_all_gather(comm, count);
  }
  check_broadcast(comm, comm.size() - 1);
  std::vector<float> a(23), b(11);
  fill_rank_values(a, comm.rank());
  fill_rank_values(b, comm.rank());
  CommHandle ha = comm.all_reduce_async(a.data(), 23, ReduceOp::kSum);
  CommHandle hb = comm.all_reduce_async(b.data(), 11, ReduceOp::kAverage);
  hb.wait();
  ha.wait();
  const int64_t errors = count_reduce_errors(a, comm.size(), ReduceOp::kSum) +
                         count_reduce_errors(b, comm.size(), ReduceOp::kAverage);
  EXPECT_EQ(global_errors(comm, errors), 0);
}

TEST(MpiCommunicator, ReportsTheThreadLevel) {
  if (g_comm->name() != "mpi") GTEST_SKIP() << "not started by mpirun";
  EXPECT_GE(MpiCommunicator::thread_level(), MPI_THREAD_SINGLE);
  EXPECT_LE(MpiCommunicator::thread_level(), MPI_THREAD_MULTIPLE);
}
#endif

// On ranks other than 0 the default printer is removed (one copy of the output is enough); this
// listener still prints any failure seen there, tagged with the rank.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::cerr << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?") << ":"
              << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
};

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<strata::Communicator> comm;
  try {
    comm = strata::make_communicator("auto");
  } catch (const strata::Error& e) {
    std::cerr << "communicator: " << e.what() << std::endl;
    return 1;
  }
  strata::g_comm = comm.get();
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new strata::RankFailurePrinter(comm->rank()));
  }
  int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  // Every rank exits with the same code.
  float any_failed = static_cast<float>(failed);
  comm->all_reduce(&any_failed, 1, strata::ReduceOp::kSum);
  strata::g_comm = nullptr;
  comm.reset();  // frees the MPI communicators; MPI_Finalize runs at exit
  return any_failed > 0 ? 1 : 0;
}
