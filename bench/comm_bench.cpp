#include "bench/comm_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include "bench/exposed_comm.h"
#include "bench/stats.h"
#include "core/error.h"
#include "distributed/communicator.h"

#if STRATA_WITH_MPI
#include <mpi.h>
#endif

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Times the two paths alternately, each after a barrier, so that load from other processes on a
// shared machine falls on both alike: `warmup` untimed rounds, then the median over `iters`
// rounds of each, averaged over ranks so that every rank reports the same numbers.
template <typename OpA, typename OpB>
std::pair<double, double> median_seconds(Communicator& comm, int64_t warmup, int64_t iters,
                                         OpA op_a, OpB op_b, bool time_b) {
  for (int64_t i = 0; i < warmup; ++i) {
    op_a();
    if (time_b) op_b();
  }
  std::vector<double> ta, tb;
  ta.reserve(static_cast<size_t>(iters));
  tb.reserve(static_cast<size_t>(iters));
  auto time_one = [&](auto& op, std::vector<double>& t) {
    comm.barrier();
    const auto t0 = Clock::now();
    op();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  };
  for (int64_t i = 0; i < iters; ++i) {
    time_one(op_a, ta);
    if (time_b) time_one(op_b, tb);
  }
  float m[2] = {static_cast<float>(median(std::move(ta))),
                static_cast<float>(median(std::move(tb)))};
  comm.all_reduce(m, 2, ReduceOp::kAverage);
  return {std::max(static_cast<double>(m[0]), 1e-9), static_cast<double>(m[1])};
}

}  // namespace

int run_comm_bench(const BenchOptions& o) {
  std::unique_ptr<Communicator> comm = make_communicator("auto");
  const int w = comm->size();
  const bool use_mpi = comm->name() == "mpi";
  std::vector<int64_t> sizes;
  if (o.bytes > 0) {
    sizes.push_back(o.bytes);
  } else {
    for (int64_t b = int64_t{4} << 10; b <= int64_t{64} << 20; b *= 2) sizes.push_back(b);
  }
  if (comm->rank() == 0) {
    if (w == 1)
      std::fprintf(stderr,
                   "strata bench --comm: one rank, so nothing is communicated and busbw is 0; run "
                   "it under mpirun -n 2 or more\n");
    if (!use_mpi)
      std::fprintf(stderr,
                   "strata bench --comm: backend '%s', not MPI: no MPI_Allreduce to compare with "
                   "(mpi_busbw_gbps and ratio 0)\n",
                   comm->name().c_str());
  }
  const int64_t max_count = *std::max_element(sizes.begin(), sizes.end()) / 4;
  std::vector<float> reduce_buf(static_cast<size_t>(max_count), 0.0f);
  std::vector<float> mpi_buf(static_cast<size_t>(max_count), 0.0f);
  const double bus_factor = 2.0 * (w - 1) / w;

  for (int64_t bytes : sizes) {
    const int64_t count = bytes / 4;
    // The GradientReducer's path as trainers use it: all_reduce_async with kSum (they pre-scale
    // the loss gradient by 1/world size), then wait. Zeros: a sum of zeros stays zero (no
    // overflow, no denormals), as for the MPI buffer.
    auto reducer_path = [&] {
      CommHandle h = comm->all_reduce_async(reduce_buf.data(), count, ReduceOp::kSum);
      h.wait();
    };
    auto mpi_path = [&] {
#if STRATA_WITH_MPI
      const int rc = MPI_Allreduce(MPI_IN_PLACE, mpi_buf.data(), static_cast<int>(count), MPI_FLOAT,
                                   MPI_SUM, MPI_COMM_WORLD);
      STRATA_CHECK(rc == MPI_SUCCESS, "MPI_Allreduce failed with code " << rc);
#endif
    };
    STRATA_CHECK(!use_mpi || count <= INT32_MAX,
                 "--bytes " << bytes << " is too large for one MPI call; give at most 8 GB");
    const auto [t_comm, t_mpi] =
        median_seconds(*comm, o.warmup, o.iters, reducer_path, mpi_path, use_mpi);
    const double algbw = static_cast<double>(bytes) / t_comm / 1e9;
    const double busbw = algbw * bus_factor;
    const double mpi_busbw = t_mpi > 0 ? static_cast<double>(bytes) / t_mpi / 1e9 * bus_factor : 0;
    const double ratio = t_mpi > 0 ? t_mpi / t_comm : 0;
    if (comm->rank() == 0) {
      std::printf(
          "{\"bench\": \"comm\", \"backend\": \"%s\", \"ranks\": %d, \"bytes\": %lld, "
          "\"algbw_gbps\": %.3f, \"busbw_gbps\": %.3f, \"mpi_busbw_gbps\": %.3f, "
          "\"ratio\": %.3f}\n",
          comm->name().c_str(), w, static_cast<long long>(bytes), algbw, busbw, mpi_busbw, ratio);
      std::fflush(stdout);
    }
  }
  if (o.steps > 0) run_exposed_comm(*comm, o);
  comm->barrier();
  return 0;
}

}  // namespace strata::bench
