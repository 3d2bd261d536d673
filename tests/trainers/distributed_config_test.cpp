// Which backend distributed.backend means (trainers/distributed_config.h): a named backend is
// itself; auto becomes nccl only for GPU models on several launched ranks of a CUDA build with a
// GPU visible, and stays auto (MPI under a launcher, else local) everywhere else - on the CPU, on
// the emulated device of the tests, with one rank, and on a machine without a GPU.
#include "trainers/distributed_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/device_select.h"

namespace strata {
namespace {

// Sets an environment variable for the scope, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

DistributedConfig with_backend(const std::string& b) {
  DistributedConfig dc;
  dc.backend = b;
  return dc;
}

TEST(DistributedConfig, NamedBackendsAreThemselves) {
  for (const char* b : {"local", "mpi", "nccl"})
    for (DeviceRequest d : {DeviceRequest::kAuto, DeviceRequest::kCpu, DeviceRequest::kCuda})
      EXPECT_EQ(resolve_backend(with_backend(b), d), b);
}

TEST(DistributedConfig, AutoStaysAutoWithoutGpusOrSeveralRanks) {
  const DistributedConfig dc = with_backend("auto");
  ScopedEnv size("OMPI_COMM_WORLD_SIZE", "4");  // as if mpirun -n 4 started this process
  // A CPU model never takes NCCL.
  EXPECT_EQ(resolve_backend(dc, DeviceRequest::kCpu), "auto");
  {
    ScopedEnv one("OMPI_COMM_WORLD_SIZE", "1");
    EXPECT_EQ(resolve_backend(dc, DeviceRequest::kCuda), "auto");  // one rank: nothing to reduce
  }
  {
    ScopedEnv emu("STRATA_TEST_DEVICE", "emulated");
    EXPECT_EQ(resolve_backend(dc, DeviceRequest::kCuda), "auto");  // host memory: MPI
  }
  std::string why;
  if (visible_gpus(&why) == 0) {
    // This machine (CI) has no GPU: a GPU request ends in MPI as before, which then reports the
    // missing GPU where the device is chosen.
    EXPECT_EQ(resolve_backend(dc, DeviceRequest::kAuto), "auto");
    EXPECT_EQ(resolve_backend(dc, DeviceRequest::kCuda), "auto");
  } else {
#if STRATA_WITH_NCCL
    EXPECT_EQ(resolve_backend(dc, DeviceRequest::kAuto), "nccl");
    EXPECT_EQ(resolve_backend(dc, DeviceRequest::kCuda), "nccl");
#endif
  }
}

}  // namespace
}  // namespace strata
