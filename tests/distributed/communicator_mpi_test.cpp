// Communicator tests, run under mpirun with 1..4 ranks and without mpirun (world size 1, local
// backend). Buffers are filled from the rank so that every answer is known; each rank counts its
// wrong elements and the counts are summed over ranks, so all ranks pass or fail together and no
// rank is left waiting in a collective that the others skipped (the nccl-tests habit).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "core/error.h"
#include "distributed/communicator.h"
#include "distributed/local_communicator.h"
#include "tests/support/heap_counter.h"
#include "tests/support/mpi_test_main.h"
#if STRATA_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif

namespace strata {

namespace {

const std::vector<int64_t> kCounts = {0, 1, 7, 5'000'000};

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

TEST(Communicator, ManyAsyncAllReducesWaitedInReverse) {
  // More than the MPI communicator's ring of job slots, so queuing also waits for free slots.
  constexpr int kJobs = 300;
  std::vector<std::vector<float>> bufs(kJobs);
  std::vector<CommHandle> handles;
  handles.reserve(kJobs);
  for (int k = 0; k < kJobs; ++k) {
    bufs[k].resize(1 + k % 37);
    fill_rank_values(bufs[k], g_comm->rank());
    const ReduceOp op = k % 2 ? ReduceOp::kSum : ReduceOp::kAverage;
    handles.push_back(g_comm->all_reduce_async(bufs[k].data(), 1 + k % 37, op));
  }
  for (int k = kJobs - 1; k >= 0; --k) handles[k].wait();
  int64_t errors = 0;
  for (int k = 0; k < kJobs; ++k)
    errors +=
        count_reduce_errors(bufs[k], g_comm->size(), k % 2 ? ReduceOp::kSum : ReduceOp::kAverage);
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

TEST(Communicator, CollectivesRunInCallOrder) {
  // An async all-reduce in flight, then synchronous calls: each sees the one before it done.
  const int size = g_comm->size();
  const int root = size - 1;
  std::vector<float> a(100'000);
  fill_rank_values(a, g_comm->rank());
  CommHandle pending = g_comm->all_reduce_async(a.data(), 100'000, ReduceOp::kSum);
  std::vector<float> b(1000, static_cast<float>(g_comm->rank() + 1));
  g_comm->broadcast(b.data(), 1000, root);             // b = root + 1 everywhere
  g_comm->all_reduce(b.data(), 1000, ReduceOp::kSum);  // then size * (root + 1)
  std::vector<float> gathered(static_cast<size_t>(size) * 1000);
  g_comm->all_gather(b.data(), 1000, gathered.data());
  {
    std::vector<float> dropped(10);
    fill_rank_values(dropped, g_comm->rank());
    CommHandle never_waited = g_comm->all_reduce_async(dropped.data(), 10, ReduceOp::kSum);
  }  // its destructor waits, and the barrier after it still matches on every rank
  g_comm->barrier();
  pending.wait();
  int64_t errors = count_reduce_errors(a, size, ReduceOp::kSum);
  for (float v : gathered) errors += v != static_cast<float>(size * (root + 1));
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

TEST(Communicator, SteadyStateAllReduceDoesNotAllocate) {
  std::vector<float> buf(1000, 0.0f);
  for (int i = 0; i < 5; ++i) g_comm->all_reduce_async(buf.data(), 1000, ReduceOp::kSum).wait();
  const long before = testing::heap_allocations();
  for (int i = 0; i < 50; ++i) {
    CommHandle h = g_comm->all_reduce_async(buf.data(), 1000, ReduceOp::kSum);
    h.wait();
    g_comm->all_reduce(buf.data(), 1000, ReduceOp::kAverage);
  }
  const long allocations = testing::heap_allocations() - before;
  EXPECT_EQ(global_errors(*g_comm, allocations), 0) << "heap allocations in 100 all-reduces";
}

void check_broadcast(Communicator& comm, int root, const std::vector<int64_t>& counts = kCounts) {
  for (int64_t count : counts) {
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

// Typed all_gather: int64 values beyond a float's 24-bit mantissa and raw bytes arrive exactly.
void check_typed_all_gather(Communicator& comm, int64_t count) {
  const int size = comm.size();
  const int64_t big = (int64_t{1} << 53) + 12345;
  std::vector<int64_t> in(count), out(count * size, -1);
  for (int64_t i = 0; i < count; ++i) in[i] = big + comm.rank() * 1000 + i;
  comm.all_gather(in.data(), count, DataType::kI64, out.data());
  std::vector<uint8_t> bytes_in(count), bytes_out(count * size, 0);
  for (int64_t i = 0; i < count; ++i) bytes_in[i] = static_cast<uint8_t>(comm.rank() * 31 + i);
  comm.all_gather(bytes_in.data(), count, DataType::kBytes, bytes_out.data());
  int64_t errors = 0;
  for (int r = 0; r < size; ++r) {
    for (int64_t i = 0; i < count; ++i) {
      errors += out[r * count + i] != big + r * 1000 + i;
      errors += bytes_out[r * count + i] != static_cast<uint8_t>(r * 31 + i);
    }
  }
  EXPECT_EQ(global_errors(comm, errors), 0) << "count " << count;
}

// Typed all_reduce and broadcast: int64 sums beyond a float's 24-bit mantissa, a double average,
// bytes broadcast; reductions that make no sense are refused.
void check_typed_reduce_and_broadcast(Communicator& comm, int64_t count) {
  const int size = comm.size();
  const int64_t big = (int64_t{1} << 53) + 7;
  std::vector<int64_t> ints(count);
  std::vector<double> dbl(count);
  for (int64_t i = 0; i < count; ++i) {
    ints[i] = big + comm.rank() * 3 + i;
    dbl[i] = 1.0 + 1e-12 * comm.rank() + static_cast<double>(i);
  }
  comm.all_reduce(ints.data(), count, DataType::kI64, ReduceOp::kSum);
  comm.all_reduce(dbl.data(), count, DataType::kF64, ReduceOp::kAverage);
  std::vector<uint8_t> bytes(count);
  for (int64_t i = 0; i < count; ++i) bytes[i] = static_cast<uint8_t>(comm.rank() * 17 + i);
  comm.broadcast(bytes.data(), count, DataType::kBytes, size - 1);
  int64_t errors = 0;
  const double rank_mean = 1e-12 * (size - 1) / 2.0;
  for (int64_t i = 0; i < count; ++i) {
    errors += ints[i] != size * (big + i) + 3 * (size * (size - 1) / 2);
    errors += std::fabs(dbl[i] - (1.0 + rank_mean + static_cast<double>(i))) > 1e-15 * (1 + i);
    errors += bytes[i] != static_cast<uint8_t>((size - 1) * 17 + i);
  }
  EXPECT_EQ(global_errors(comm, errors), 0) << "count " << count;
}

TEST(Communicator, TypedAllReduceAndBroadcast) {
  for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{1000}})
    check_typed_reduce_and_broadcast(*g_comm, count);
  int32_t i = 1;
  uint8_t b = 1;
  EXPECT_THROW(g_comm->all_reduce(&i, 1, DataType::kI32, ReduceOp::kAverage), Error);
  EXPECT_THROW(g_comm->all_reduce(&b, 1, DataType::kBytes, ReduceOp::kSum), Error);
}

TEST(Communicator, TypedAllGather) {
  for (int64_t count : {int64_t{0}, int64_t{1}, int64_t{168}, int64_t{10'000}})
    check_typed_all_gather(*g_comm, count);
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

TEST(Communicator, LauncherRankIsTheCommunicatorsRank) {
  // Under mpirun the environment's rank (read before MPI starts) is the MPI rank; without it -1
  // (or SLURM's task id, inside a SLURM job step).
  const int r = launcher_rank();
  const bool in_slurm = std::getenv("SLURM_PROCID") != nullptr;
  const int64_t wrong = launched_by_mpirun() ? r != g_comm->rank() : !(r == -1 || in_slurm);
  EXPECT_EQ(global_errors(*g_comm, wrong), 0) << "launcher_rank() " << r;
}

TEST(MakeCommunicator, NamesTheBackendThatIsMissing) {
  // Without the CUDA build, or without a GPU per rank, 'nccl' must say what is missing. With
  // them (a GPU machine), it works and takes device buffers.
  try {
    std::unique_ptr<Communicator> nccl = make_communicator("nccl");
    EXPECT_EQ(nccl->name(), "nccl");
    EXPECT_TRUE(nccl->device_buffers());
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
void check_split_pieces(MpiCommunicator::Progress progress) {
  MpiCommunicator comm(kDefaultCommTimeoutS, /*max_count=*/5, progress);
  EXPECT_EQ(comm.uses_comm_thread(), progress == MpiCommunicator::Progress::kAuto &&
                                         MpiCommunicator::thread_level() >= MPI_THREAD_SERIALIZED);
  EXPECT_EQ(comm.size(), g_comm->size());
  EXPECT_EQ(comm.rank(), g_comm->rank());
  for (int64_t count : {int64_t{0}, int64_t{5}, int64_t{23}}) {
    check_all_reduce(comm, count, ReduceOp::kSum);
    check_all_reduce(comm, count, ReduceOp::kAverage);
    check_all_gather(comm, count);
    check_typed_all_gather(comm, count);
    check_typed_reduce_and_broadcast(comm, count);
  }
  // Small counts only: with max_count 5, 5M floats would be a million pieces.
  check_broadcast(comm, comm.size() - 1, {0, 1, 5, 23});
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
  comm.barrier();
  EXPECT_EQ(comm.in_flight(), 0);
}

TEST(MpiCommunicator, SplitsLargeCountsIntoPieces) {
  if (g_comm->name() != "mpi") GTEST_SKIP() << "not started by mpirun";
  check_split_pieces(MpiCommunicator::Progress::kAuto);
}

// The fallback for MPI builds without MPI_THREAD_SERIALIZED: nonblocking calls polled on the
// calling thread.
TEST(MpiCommunicator, CallingThreadProgressGivesTheSameResults) {
  if (g_comm->name() != "mpi") GTEST_SKIP() << "not started by mpirun";
  check_split_pieces(MpiCommunicator::Progress::kCallingThread);
  MpiCommunicator comm(kDefaultCommTimeoutS, INT_MAX, MpiCommunicator::Progress::kCallingThread);
  EXPECT_FALSE(comm.uses_comm_thread());
  std::vector<float> a(1000), b(77);
  fill_rank_values(a, comm.rank());
  fill_rank_values(b, comm.rank());
  CommHandle ha = comm.all_reduce_async(a.data(), 1000, ReduceOp::kSum);
  CommHandle hb = comm.all_reduce_async(b.data(), 77, ReduceOp::kAverage);
  hb.wait();  // completes a first: calls complete in the order they were started
  EXPECT_EQ(comm.in_flight(), 0);
  ha.wait();
  const int64_t errors = count_reduce_errors(a, comm.size(), ReduceOp::kSum) +
                         count_reduce_errors(b, comm.size(), ReduceOp::kAverage);
  EXPECT_EQ(global_errors(comm, errors), 0);
}

// Rank 0 starts an all-reduce that the other ranks join only later: its wait times out with a
// message that says what to do, and from then on every call fails at once. The other ranks then
// join, so rank 0's communication thread is released and the process can finish normally.
TEST(MpiCommunicator, ATimeoutBreaksTheCommunicator) {
  if (g_comm->name() != "mpi" || g_comm->size() < 2) GTEST_SKIP() << "needs two or more ranks";
  // Rank 0 waits in g_comm while its stuck collective is still inside MPI on another thread.
  if (MpiCommunicator::thread_level() < MPI_THREAD_MULTIPLE) GTEST_SKIP() << "needs MULTIPLE";
  using Clock = std::chrono::steady_clock;
  int64_t errors = 0;
  {
    MpiCommunicator comm(/*timeout_s=*/0.3);
    float x = 1.0f;
    if (comm.rank() == 0) {
      const auto t0 = Clock::now();
      try {
        comm.all_reduce(&x, 1, ReduceOp::kSum);
        ADD_FAILURE() << "the all-reduce should have timed out";
        ++errors;
      } catch (const Error& e) {
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        EXPECT_GE(s, 0.3);  // never before the timeout
        EXPECT_NE(e.message().find("all_reduce of 1 floats did not complete within 0.3 s "
                                   "(distributed.timeout_s)"),
                  std::string::npos)
            << e.message();
        EXPECT_NE(e.message().find("raise distributed.timeout_s"), std::string::npos);
      }
      EXPECT_TRUE(comm.broken());
      // Every later call fails at once with that first error, not after a timeout of its own.
      const std::string first = "all_reduce of 1 floats did not complete within 0.3 s";
      for (const auto& call : std::vector<std::function<void()>>{
               [&] { comm.all_reduce(&x, 1, ReduceOp::kSum); },
               [&] { comm.all_reduce_async(&x, 1, ReduceOp::kSum); }, [&] { comm.barrier(); },
               [&] { comm.broadcast(&x, 1, 0); }}) {
        try {
          call();
          ADD_FAILURE() << "a broken communicator took a collective";
        } catch (const Error& e) {
          EXPECT_NE(e.message().find(first), std::string::npos) << e.message();
        }
      }
    }
    g_comm->barrier();
    if (comm.rank() != 0) comm.all_reduce(&x, 1, ReduceOp::kSum);  // releases rank 0's
    // Rank 0's stuck collective completes once the others joined it; wait for that, so the
    // destructor can join its communication thread.
    const auto deadline = Clock::now() + std::chrono::seconds(300);  // only against a hang
    while (comm.in_flight() > 0 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    errors += comm.in_flight() != 0;
    g_comm->barrier();
  }
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

TEST(MpiCommunicator, ReportsTheThreadLevel) {
  if (g_comm->name() != "mpi") GTEST_SKIP() << "not started by mpirun";
  EXPECT_GE(MpiCommunicator::thread_level(), MPI_THREAD_SINGLE);
  EXPECT_LE(MpiCommunicator::thread_level(), MPI_THREAD_MULTIPLE);
}
#endif

}  // namespace
}  // namespace strata
