#include "trainers/distributed_config.h"

#include <cmath>
#include <cstdlib>

namespace strata {

DistributedConfig parse_distributed_config(const YamlMap& config) {
  DistributedConfig dc;
  const std::optional<YamlMap> section = config.find_map("distributed");
  if (!section) return dc;
  dc.backend = section->get_choice_or("backend", {"auto", "local", "mpi", "nccl"}, "auto");
  const double mb = section->get_double_or("bucket_mb", 25.0, RealRange::positive());
  dc.parallel.bucket_bytes = std::max<int64_t>(1, std::llround(mb * 1024.0 * 1024.0));
  dc.timeout_s = section->get_double_or("timeout_s", kDefaultCommTimeoutS, RealRange::positive());
  dc.parallel.sync_batchnorm = section->get_bool_or("sync_batchnorm", false);
  section->finish();
  return dc;
}

namespace {

// The world size the launcher announces (mpirun, srun), or 1.
int launcher_world_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"}) {
    const char* v = std::getenv(var);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end == '\0' && n > 0 && n < (1L << 30)) return static_cast<int>(n);
  }
  return 1;
}

}  // namespace

std::string resolve_backend(const DistributedConfig& dc, DeviceRequest device) {
  if (dc.backend != "auto") return dc.backend;
#if STRATA_WITH_NCCL
  if (device == DeviceRequest::kCpu || emulating_device()) return dc.backend;
  if (!launched_by_mpirun() || launcher_world_size() < 2) return dc.backend;
  std::string why;
  if (visible_gpus(&why) > 0) return "nccl";
#else
  (void)device;
#endif
  return dc.backend;
}

std::unique_ptr<Communicator> make_communicator(const DistributedConfig& dc, DeviceRequest device) {
  return make_communicator(resolve_backend(dc, device), dc.timeout_s);
}

}  // namespace strata
