// Communicator: the seam between training code and the transport that moves gradients between
// ranks. Implementations: LocalCommunicator (one process, always built), MpiCommunicator (host
// buffers, built with STRATA_MPI) and NcclCommunicator (device buffers, CUDA build). The backend
// is chosen at run time by name (config key distributed.backend) through make_communicator().
//
// All collectives are called by every rank in the same order with the same count and type. Each
// takes its buffers' element type (DataType); the float overloads are shorthands for kF32. A
// device-buffer communicator orders each collective after the work queued on its stream
// (set_stream). Failures throw strata::Error (core/error.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/device.h"  // defines: Stream

namespace strata {

enum class ReduceOp {
  kSum,
  // The mean over ranks, for floating-point types. Each rank scales its buffer by 1/size BEFORE
  // the sum, so that a low precision sum of large values cannot overflow. The input buffer is
  // modified either way.
  kAverage,
};

// The element type of a collective's buffers. kBytes: raw memory, counted in bytes.
enum class DataType : uint8_t { kF32, kF64, kI32, kI64, kBytes };
// Bytes per element; the plural name used in messages ("floats", "bytes").
int64_t data_type_size(DataType type);
const char* data_type_name(DataType type);
// Throws (naming `op` and the type) unless `reduce` can be done on `type`.
void check_reducible(const char* op, DataType type, ReduceOp reduce);

// The pending completion of an asynchronous collective. Move-only; wait() blocks until the
// operation is done (the buffer may be read and reused after it). A handle that is never waited
// is waited by its destructor, so a buffer is never left in flight by accident.
class CommHandle {
 public:
  CommHandle() = default;  // already complete
  explicit CommHandle(std::function<void()> wait_fn) : wait_fn_(std::move(wait_fn)) {}
  CommHandle(CommHandle&& other) noexcept : wait_fn_(std::move(other.wait_fn_)) {
    other.wait_fn_ = nullptr;
  }
  CommHandle& operator=(CommHandle&& other) noexcept;
  CommHandle(const CommHandle&) = delete;
  CommHandle& operator=(const CommHandle&) = delete;
  ~CommHandle();

  // Blocks until done; a second call returns at once.
  void wait();
  bool pending() const { return static_cast<bool>(wait_fn_); }

 private:
  std::function<void()> wait_fn_;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank and number of ranks on this node (chooses the GPU).
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  // "local", "mpi", "nccl"
  virtual std::string name() const = 0;
  // Whether collectives take device (GPU) buffers (NCCL) rather than host buffers (local, MPI).
  virtual bool device_buffers() const { return false; }
  // A host-buffer communicator whose library also takes GPU memory (CUDA-aware MPI): GPU values
  // go to it directly, without a host copy, once the device's work on them is done (the caller
  // synchronises the stream first; distributed/staging.h).
  virtual bool takes_gpu_memory() const { return false; }
  // Seconds a collective may take before wait() gives up and throws (the job is then ended by
  // abort_job, distributed/fault.h); set by make_communicator from distributed.timeout_s.
  virtual double timeout_s() const = 0;

  // Whether an earlier failure (a timeout, a transport error, abandon()) makes every later
  // collective throw that failure at once.
  virtual bool broken() const = 0;
  // Marks the communicator broken because this rank leaves a sequence of collectives unfinished
  // (an exception unwinds through a step): the ranks no longer agree on which collective comes
  // next, and a later collective of this rank could be matched with a different one of another
  // rank - which may still be running on a buffer its rank has freed. Every later collective
  // throws `reason` at once instead. Idempotent: the first failure stays.
  virtual void abandon(const std::string& reason) = 0;

  // Device-buffer communicators: the stream whose queued work a collective waits for before it
  // reads its buffer (nullptr: the device's default stream). Host-buffer ones ignore it.
  virtual void set_stream(Stream stream) { (void)stream; }

  // In-place all-reduce of count elements (count 0 allowed); kAverage needs kF32 or kF64, and
  // kBytes cannot be reduced.
  virtual void all_reduce(void* data, int64_t count, DataType type, ReduceOp op) = 0;
  // The same, started now; data must stay alive and untouched until the handle is waited.
  virtual CommHandle all_reduce_async(void* data, int64_t count, DataType type, ReduceOp op) = 0;
  // Copies root's count elements into every rank's data.
  virtual void broadcast(void* data, int64_t count, DataType type, int root) = 0;
  virtual void barrier() = 0;
  // out (size() * count elements of `type`) receives rank r's `in` at element r * count.
  virtual void all_gather(const void* in, int64_t count, DataType type, void* out) = 0;

  // Shorthands for float buffers (kF32).
  void all_reduce(float* data, int64_t count, ReduceOp op) {
    all_reduce(data, count, DataType::kF32, op);
  }
  CommHandle all_reduce_async(float* data, int64_t count, ReduceOp op) {
    return all_reduce_async(data, count, DataType::kF32, op);
  }
  void broadcast(float* data, int64_t count, int root) {
    broadcast(data, count, DataType::kF32, root);
  }
  void all_gather(const float* in, int64_t count, float* out) {
    all_gather(in, count, DataType::kF32, out);
  }
};

// Whether this process was started by mpirun/mpiexec (Open MPI, PMIx or PMI environment).
bool launched_by_mpirun();
// This process's rank as its launcher set it in the environment (mpirun or srun), before any
// communicator exists: what errors in config parsing are tagged with. -1 when not launched so.
int launcher_rank();

constexpr double kDefaultCommTimeoutS = 60.0;

// backend: "auto" (mpi when started by mpirun and MPI is built, else local), "local", "mpi" or
// "nccl" (CUDA build; device buffers). Unknown names and unavailable backends throw
// strata::Error. timeout_s (> 0): how long any one collective may take (distributed.timeout_s).
std::unique_ptr<Communicator> make_communicator(const std::string& backend,
                                                double timeout_s = kDefaultCommTimeoutS);

}  // namespace strata
