// Resume across rank counts (run by ctest without mpirun and under mpirun with 1 to 4 ranks): a
// run on w ranks, stopped by a SIGUSR1 that reaches rank 0 only, continues
//   - on w ranks: bit-for-bit the uninterrupted w-rank run;
//   - on one rank (rank 0 resumes alone from its checkpoint): the one-rank run to 1e-5
//     relative (sums then add in another order).
// The smoke configs of the autoencoder and the GAN (synchronised BatchNorm: per-rank statistics
// would be a different model on a different number of ranks).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/convert.h"
#include "distributed/local_communicator.h"
#include "tests/core/config/config_test_util.h"
#include "tests/support/mpi_test_main.h"
#include "tests/trainers/compare_runs.h"
#include "trainers/loop.h"
#include "trainers/run/checkpoint.h"
#include "trainers/signals.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

struct RunSetup {
  testing::TempDir dir;  // this rank's own copy of the data and its own run folders
  Experiment experiment;
  explicit RunSetup(const std::string& config) {
    ConvertOptions o;
    o.out_dir = dir.path("train");
    o.shard_size = 50;
    convert_synthetic(120, 1, 8, 8, 5, 4, o);
    o.out_dir = dir.path("test");
    convert_synthetic(24, 1, 8, 8, 6, 4, o);
    experiment = load_experiment(
        (fs::path(STRATA_SOURCE_DIR) / "configs" / "smoke" / config).string(),
        {parse_override("data.train=" + dir.path("train")),
         parse_override("data.test=" + dir.path("test")),
         parse_override("distributed.sync_batchnorm=true"), parse_override("trainer.batch_size=12"),
         parse_override("logging.every_steps=3")});
  }
};

RunResult run(const Experiment& e, Communicator* comm, const std::string& dir,
              const std::string& resume, int64_t stop_at) {
  RunOptions o;
  o.run_dir = dir;
  o.resume = resume;
  o.comm = comm;
  o.quiet = true;
  const int rank = comm->rank();
  o.after_step = [stop_at, rank](int64_t step) {
    if (step == stop_at && rank == 0) std::raise(SIGUSR1);
  };
  clear_stop_request();
  RunResult r = run_experiment(e, o);
  clear_stop_request();
  return r;
}

class ResumeAcrossRanks : public ::testing::TestWithParam<const char*> {};

TEST_P(ResumeAcrossRanks, SameRanksBitwiseOneRankToRounding) {
  RunSetup s(GetParam());
  const Experiment& e = s.experiment;
  Communicator& comm = *g_comm;
  // Uninterrupted on every rank count that matters: w ranks, and one rank.
  const RunResult whole = run(e, &comm, s.dir.path("whole"), "", -1);
  LocalCommunicator local;
  const RunResult one = run(e, &local, s.dir.path("one"), "", -1);
  const int64_t stop_at = whole.steps / 2;
  ASSERT_GT(stop_at, 0);

  // Stopped on w ranks (the signal reaches rank 0 only), then resumed on w ranks.
  const RunResult stopped = run(e, &comm, s.dir.path("part"), "", stop_at);
  int64_t errors = !(stopped.stopped && stopped.steps == stop_at);
  if (comm.rank() == 0)  // only rank 0 writes the run folder
    fs::copy(s.dir.path("part"), s.dir.path("part_copy"), fs::copy_options::recursive);
  const RunResult resumed = run(e, &comm, s.dir.path("part"), "auto", -1);
  if (comm.rank() == 0) {
    const std::vector<float> a = testing::checkpoint_values(e, whole.last_checkpoint);
    const std::vector<float> b = testing::checkpoint_values(e, resumed.last_checkpoint);
    const bool same = a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
    EXPECT_TRUE(same) << "resumed on " << comm.size() << " rank(s): not bit-for-bit";
    errors += !same;
    // Rank 0 alone continues the w-rank checkpoint.
    const RunResult alone = run(e, &local, s.dir.path("part_copy"), "auto", -1);
    const double rel = testing::relative_error(testing::checkpoint_values(e, alone.last_checkpoint),
                                               testing::checkpoint_values(e, one.last_checkpoint));
    std::printf("  %s: stopped on %d rank(s) at step %lld, resumed on 1: relative error %.3g\n",
                GetParam(), comm.size(), static_cast<long long>(stop_at), rel);
    EXPECT_LE(rel, 1e-5);
    errors += !(rel <= 1e-5);
    if (comm.size() == 1) {
      EXPECT_EQ(rel, 0.0);
    }
  }
  EXPECT_EQ(global_errors(comm, errors), 0);
}

INSTANTIATE_TEST_SUITE_P(Smoke, ResumeAcrossRanks,
                         ::testing::Values("autoencoder.yaml", "gan.yaml"),
                         [](const auto& info) { return fs::path(info.param).stem().string(); });

}  // namespace
}  // namespace strata
