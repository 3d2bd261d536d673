#include "trainers/distributed_config.h"

#include <cmath>

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

std::unique_ptr<Communicator> make_communicator(const DistributedConfig& dc) {
  return make_communicator(dc.backend, dc.timeout_s);
}

}  // namespace strata
