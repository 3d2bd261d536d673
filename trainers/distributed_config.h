// The optional `distributed` section of an experiment file. Every key has a default, so an
// experiment runs unchanged on a laptop (no mpirun: one rank) and under mpirun or srun.
//
//   distributed:
//     backend: auto          # auto | local | mpi | nccl  (auto: nccl for GPU models on several
//                            #   ranks of a CUDA build, else mpi under mpirun/srun, else local)
//     bucket_mb: 25          # gradient all-reduce bucket size, MiB
//     timeout_s: 60          # a collective that takes longer ends the whole job with an error
//     sync_batchnorm: false  # BatchNorm statistics over the global batch (all ranks)
#pragma once

#include <memory>
#include <string>

#include "core/config/yaml_map.h"
#include "core/device_select.h"
#include "distributed/communicator.h"
#include "trainers/parallel_net.h"

namespace strata {

struct DistributedConfig {
  std::string backend = "auto";
  double timeout_s = kDefaultCommTimeoutS;
  ParallelOptions parallel;
};

// Reads config's `distributed` section when present (the defaults otherwise), rejecting unknown
// keys with the file, line and key.
DistributedConfig parse_distributed_config(const YamlMap& config);

// The backend dc.backend means for a model on `device` (the experiment's `device` key): itself,
// unless it is auto and this is a CUDA build with NCCL, started by a launcher with several ranks,
// whose model trains on GPUs (device cuda, or auto with a GPU visible; not the emulated device of
// the tests): then "nccl", which keeps the gradients on the GPUs and can be captured in a step's
// CUDA graph. Every rank decides alike from its launcher's environment and its GPUs.
std::string resolve_backend(const DistributedConfig& dc, DeviceRequest device);

// The communicator the section asks for, auto resolved for `device` (collective: every rank
// calls it).
std::unique_ptr<Communicator> make_communicator(const DistributedConfig& dc,
                                                DeviceRequest device = DeviceRequest::kCpu);

}  // namespace strata
