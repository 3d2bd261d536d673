#include "distributed/communicator.h"

#include <cstdlib>

#include "core/error.h"
#include "distributed/local_communicator.h"
#if STRATA_WITH_MPI
#include "distributed/mpi_communicator.h"
#endif
#if STRATA_WITH_NCCL
#include "distributed/nccl_communicator.h"
#endif

namespace strata {

int64_t data_type_size(DataType type) {
  switch (type) {
    case DataType::kF32:
    case DataType::kI32:
      return 4;
    case DataType::kF64:
    case DataType::kI64:
      return 8;
    case DataType::kBytes:
      return 1;
  }
  return 1;
}

const char* data_type_name(DataType type) {
  switch (type) {
    case DataType::kF32:
      return "floats";
    case DataType::kF64:
      return "doubles";
    case DataType::kI32:
      return "int32s";
    case DataType::kI64:
      return "int64s";
    case DataType::kBytes:
      return "bytes";
  }
  return "elements";
}

void check_reducible(const char* op, DataType type, ReduceOp reduce) {
  STRATA_CHECK(type != DataType::kBytes,
               op << ": bytes cannot be reduced; pass the element type of the buffer");
  STRATA_CHECK(reduce != ReduceOp::kAverage || type == DataType::kF32 || type == DataType::kF64,
               op << ": an average of " << data_type_name(type)
                  << " is not representable; sum them (ReduceOp::kSum) and divide");
}

CommHandle& CommHandle::operator=(CommHandle&& other) noexcept {
  if (this != &other) {
    if (wait_fn_) {
      try {
        wait();
      } catch (...) {
        // A failure here has no one to report to; the collective's next call will fail too.
      }
    }
    wait_fn_ = std::move(other.wait_fn_);
    other.wait_fn_ = nullptr;
  }
  return *this;
}

CommHandle::~CommHandle() {
  if (!wait_fn_) return;
  try {
    wait();
  } catch (...) {
    // Destructors must not throw; call wait() explicitly to see the error.
  }
}

void CommHandle::wait() {
  if (!wait_fn_) return;
  auto fn = std::move(wait_fn_);
  wait_fn_ = nullptr;
  fn();
}

bool launched_by_mpirun() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}) {
    const char* v = std::getenv(var);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    const long r = std::strtol(v, &end, 10);
    if (*end == '\0' && r >= 0 && r < (1L << 30)) return static_cast<int>(r);
  }
  return -1;
}

std::unique_ptr<Communicator> make_communicator(const std::string& backend, double timeout_s) {
  if (backend == "local") return std::make_unique<LocalCommunicator>();
  if (backend == "mpi") {
#if STRATA_WITH_MPI
    return std::make_unique<MpiCommunicator>(timeout_s);
#else
    STRATA_THROW(
        "distributed.backend 'mpi' needs the MPI build; reconfigure with -DSTRATA_MPI=ON "
        "(Debian: libopenmpi-dev) or use backend 'local'");
#endif
  }
  if (backend == "auto") {
    // Never nccl: NCCL takes device buffers, so it is right only when the model lives on the GPU,
    // which the trainer knows and this function does not; the trainer asks for "nccl" by name.
#if STRATA_WITH_MPI
    if (launched_by_mpirun()) return std::make_unique<MpiCommunicator>(timeout_s);
#else
    STRATA_CHECK(!launched_by_mpirun(),
                 "distributed.backend 'auto': started by mpirun but this Strata was built without "
                 "MPI; reconfigure with -DSTRATA_MPI=ON or run without mpirun");
#endif
    return std::make_unique<LocalCommunicator>();
  }
  if (backend == "nccl") {
#if STRATA_WITH_NCCL
    return std::make_unique<NcclCommunicator>(timeout_s);
#else
    STRATA_THROW(
        "distributed.backend 'nccl' needs the CUDA build (-DSTRATA_CUDA=ON) with the CUDA "
        "toolkit, cuDNN and NCCL installed; this Strata was built without it: reconfigure, or "
        "use 'mpi' or 'auto'");
#endif
  }
  STRATA_THROW("unknown distributed.backend '" << backend
                                               << "'; expected auto, local, mpi or nccl");
}

}  // namespace strata
