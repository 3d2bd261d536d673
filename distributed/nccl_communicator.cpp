#include "distributed/nccl_communicator.h"

#include <cuda_runtime.h>

#include <cstring>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "core/step_capture.h"
#include "distributed/poll.h"

namespace strata {
namespace {

// Calls a CUDA runtime function and turns a failure into a strata::Error naming the call.
#define NCCL_COMM_CUDA_CHECK(call, what_to_do)                                         \
  do {                                                                                 \
    const cudaError_t strata_cuda_rc_ = (call);                                        \
    if (strata_cuda_rc_ != cudaSuccess) {                                              \
      STRATA_THROW(#call << " failed: " << cudaGetErrorString(strata_cuda_rc_) << "; " \
                         << what_to_do);                                               \
    }                                                                                  \
  } while (0)

std::string nccl_error_text(ncclResult_t rc, ncclComm_t comm) {
  std::string text = ncclGetErrorString(rc);
  const char* last = ncclGetLastError(comm);
  if (last != nullptr && *last != '\0') text += std::string(" (") + last + ")";
  return text;
}

ncclDataType_t nccl_type(DataType type) {
  switch (type) {
    case DataType::kF32:
      return ncclFloat32;
    case DataType::kF64:
      return ncclFloat64;
    case DataType::kI32:
      return ncclInt32;
    case DataType::kI64:
      return ncclInt64;
    case DataType::kBytes:
      return ncclUint8;
  }
  return ncclUint8;
}

const char* const kTimeoutAdvice =
    "another rank has probably failed or stopped calling collectives (see its message); if the "
    "ranks are only slow, raise distributed.timeout_s";

}  // namespace

NcclCommunicator::NcclCommunicator(double timeout_s) : timeout_s_(timeout_s) {
  STRATA_CHECK(timeout_s > 0, "distributed.timeout_s must be positive, got " << timeout_s);
  // The GPU check comes first so that a CPU-only machine fails here, before MPI starts.
  int devices = 0;
  const cudaError_t count_rc = cudaGetDeviceCount(&devices);
  STRATA_CHECK(count_rc == cudaSuccess && devices > 0,
               "distributed.backend 'nccl' needs a CUDA GPU (NCCL moves device buffers); "
               "cudaGetDeviceCount: "
                   << (count_rc == cudaSuccess ? "0 devices" : cudaGetErrorString(count_rc))
                   << "; use 'mpi' on CPUs");
  try {
    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    if (launched_by_mpirun()) {
#if STRATA_WITH_MPI
      // The MPI communicator initialises MPI (once per process) and knows the ranks per node.
      bootstrap_ = make_communicator("mpi", timeout_s);
      rank_ = bootstrap_->rank();
      size_ = bootstrap_->size();
      local_rank_ = bootstrap_->local_rank();
      local_size_ = bootstrap_->local_size();
#else
      STRATA_THROW(
          "distributed.backend 'nccl': started by mpirun but this Strata was built without MPI, "
          "which NCCL needs to start several ranks; reconfigure with -DSTRATA_MPI=ON or run "
          "one process without mpirun");
#endif
    }
    // NCCL hangs or fails when two ranks of one communicator share a GPU.
    STRATA_CHECK(local_size_ <= devices,
                 "distributed.backend 'nccl': " << local_size_ << " ranks on this node but only "
                                                << devices
                                                << " CUDA GPUs; start at most one rank per GPU "
                                                   "(mpirun -np <GPUs per node>)");
    device_ = local_rank_ % devices;
    NCCL_COMM_CUDA_CHECK(cudaSetDevice(device_), "check CUDA_VISIBLE_DEVICES and nvidia-smi");
    if (rank_ == 0) {
      const ncclResult_t rc = ncclGetUniqueId(&id);
      STRATA_CHECK(rc == ncclSuccess, "ncclGetUniqueId failed: "
                                          << nccl_error_text(rc, nullptr)
                                          << "; check the network interfaces (NCCL_SOCKET_IFNAME)");
    }
    // Rank 0's id reaches every rank over the bootstrap communicator (its own, not MPI's world).
    if (size_ > 1)
      bootstrap_->broadcast(&id, static_cast<int64_t>(sizeof(id)), DataType::kBytes, 0);

    NCCL_COMM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
                         "the GPU may be out of memory or in exclusive use by another process");
    NCCL_COMM_CUDA_CHECK(cudaEventCreateWithFlags(&ready_event_, cudaEventDisableTiming),
                         "the GPU may be out of memory");
    NCCL_COMM_CUDA_CHECK(cudaMalloc(&barrier_scratch_, sizeof(float)),
                         "the GPU is out of memory; free memory or use fewer ranks per GPU");

    // Nonblocking: init and every later call return at once (possibly ncclInProgress), so all
    // waits are polled with a deadline and a missing rank cannot hang this one forever.
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    check_nccl(ncclCommInitRankConfig(&comm_, size_, id, rank_, &config), "ncclCommInitRankConfig");

    // kAverage divides by size before the sum (communicator.h) so large values cannot overflow
    // a low precision sum; ncclAvg sums first and divides after, hence PreMulSum with 1/size.
    float inv_f32 = 1.0f / static_cast<float>(size_);
    double inv_f64 = 1.0 / static_cast<double>(size_);
    check_nccl(ncclRedOpCreatePreMulSum(&average_f32_, &inv_f32, ncclFloat32,
                                        ncclScalarHostImmediate, comm_),
               "ncclRedOpCreatePreMulSum");
    check_nccl(ncclRedOpCreatePreMulSum(&average_f64_, &inv_f64, ncclFloat64,
                                        ncclScalarHostImmediate, comm_),
               "ncclRedOpCreatePreMulSum");
    average_ops_created_ = true;
  } catch (...) {
    release(/*abort=*/true);  // the destructor does not run for a half-built object
    throw;
  }
  set_error_rank(rank_);
}

NcclCommunicator::~NcclCommunicator() {
  release(/*abort=*/broken_);
}

void NcclCommunicator::release(bool abort) noexcept {
  if (device_ >= 0) cudaSetDevice(device_);
  if (comm_ != nullptr && !abort) {
    // Orderly shutdown: let the enqueued work finish, then finalize (itself polled: it waits for
    // the peers), then destroy. Any failure or timeout falls back to an abort.
    auto stream_idle = [this] {
      const cudaError_t rc = cudaStreamQuery(stream_);
      if (rc == cudaErrorNotReady) return PollState::kPending;
      return rc == cudaSuccess ? PollState::kDone : PollState::kFailed;
    };
    auto comm_idle = [this] {
      ncclResult_t state = ncclSuccess;
      if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) return PollState::kFailed;
      if (state == ncclInProgress) return PollState::kPending;
      return state == ncclSuccess ? PollState::kDone : PollState::kFailed;
    };
    try {
      bool ok = poll_until(stream_idle, timeout_s_) == PollResult::kDone;
      if (ok && average_ops_created_)
        ok = ncclRedOpDestroy(average_f32_, comm_) == ncclSuccess &&
             ncclRedOpDestroy(average_f64_, comm_) == ncclSuccess;
      if (ok) {
        const ncclResult_t rc = ncclCommFinalize(comm_);
        ok = (rc == ncclSuccess || rc == ncclInProgress) &&
             poll_until(comm_idle, timeout_s_) == PollResult::kDone;
      }
      if (ok) {
        const ncclResult_t rc = ncclCommDestroy(comm_);
        ok = rc == ncclSuccess || rc == ncclInProgress;
      }
      if (ok) comm_ = nullptr;
    } catch (...) {
      // fall through to the abort below
    }
    if (comm_ != nullptr) {
      std::cerr << "[rank " << rank_
                << "] NcclCommunicator: orderly shutdown failed or timed out; aborting the NCCL "
                   "communicator"
                << std::endl;
    }
  }
  if (comm_ != nullptr) {
    ncclCommAbort(comm_);  // also frees the reduction op
    comm_ = nullptr;
  }
  average_ops_created_ = false;
  for (cudaEvent_t event : all_events_) cudaEventDestroy(event);
  all_events_.clear();
  free_events_.clear();
  if (ready_event_ != nullptr) cudaEventDestroy(ready_event_);
  ready_event_ = nullptr;
  if (barrier_scratch_ != nullptr) cudaFree(barrier_scratch_);
  barrier_scratch_ = nullptr;
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
  stream_ = nullptr;
}

[[noreturn]] void NcclCommunicator::fail(const std::string& what) {
  // After a timeout or an asynchronous error the communicator's state is unknown (a collective
  // may be stuck on the GPU): abort it so nothing is left running, and refuse later calls.
  if (comm_ != nullptr) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    average_ops_created_ = false;
  }
  broken_ = true;
  STRATA_THROW(what);
}

void NcclCommunicator::abandon(const std::string&) {
  if (device_ >= 0) cudaSetDevice(device_);
  if (comm_ != nullptr) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    average_ops_created_ = false;
  }
  broken_ = true;
}

void NcclCommunicator::check_nccl(ncclResult_t rc, const char* call) {
  if (rc == ncclSuccess) return;
  if (rc != ncclInProgress) {
    fail(std::string(call) + " failed: " + nccl_error_text(rc, comm_) +
         "; check that every rank runs the same collectives in the same order (NCCL_DEBUG=WARN "
         "prints NCCL's own reason)");
  }
  ncclResult_t state = ncclInProgress;
  const PollResult result = poll_until(
      [&] {
        if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) state = ncclInternalError;
        if (state == ncclInProgress) return PollState::kPending;
        return state == ncclSuccess ? PollState::kDone : PollState::kFailed;
      },
      timeout_s_);
  if (result == PollResult::kDone) return;
  std::ostringstream os;
  if (result == PollResult::kTimedOut) {
    os << call << " did not complete within distributed.timeout_s = " << timeout_s_ << " s; "
       << kTimeoutAdvice;
  } else {
    os << call << " failed: " << nccl_error_text(state, comm_) << "; " << kTimeoutAdvice;
  }
  fail(os.str());
}

void NcclCommunicator::check_usable(const char* op) const {
  STRATA_CHECK(!broken_, op << ": the NCCL communicator was aborted after an earlier failure or "
                               "timeout (see the first error); end the job and restart it");
}

void NcclCommunicator::check_device_buffer(const void* data, const char* op) const {
  STRATA_CHECK(data != nullptr, op << ": null buffer");
  // A host pointer here is the usual mistake when switching from backend 'mpi'; NCCL itself
  // would fail later, on the GPU, with an illegal address.
  cudaPointerAttributes attributes{};
  const cudaError_t rc = cudaPointerGetAttributes(&attributes, data);
  // Clear a failed query's (non-sticky) error so that a later cudaGetLastError does not see it.
  if (rc != cudaSuccess) cudaGetLastError();
  STRATA_CHECK(rc == cudaSuccess && (attributes.type == cudaMemoryTypeDevice ||
                                     attributes.type == cudaMemoryTypeManaged),
               op << ": the buffer is not GPU memory, but backend 'nccl' takes device buffers "
                     "(Communicator::device_buffers() is true); copy the data to the GPU first "
                     "or use backend 'mpi'");
}

cudaEvent_t NcclCommunicator::acquire_event() {
  if (!free_events_.empty()) {
    cudaEvent_t event = free_events_.back();
    free_events_.pop_back();
    return event;
  }
  cudaEvent_t event = nullptr;
  NCCL_COMM_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming),
                       "the GPU may be out of memory");
  all_events_.push_back(event);
  return event;
}

void NcclCommunicator::release_event(cudaEvent_t event) {
  free_events_.push_back(event);
}

void NcclCommunicator::wait_for_compute(const char* op) {
  NCCL_COMM_CUDA_CHECK(cudaEventRecord(ready_event_, compute_stream_),
                       op << ": check the compute stream (set_stream)");
  // The wait captures the event's state now, so ready_event_ may be recorded again next call.
  NCCL_COMM_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_event_, 0), op);
}

CommHandle NcclCommunicator::completion(const char* op, int64_t count, DataType type) {
  cudaEvent_t event = acquire_event();
  const cudaError_t rc = cudaEventRecord(event, stream_);
  if (rc != cudaSuccess) {
    release_event(event);
    STRATA_THROW(op << ": cudaEventRecord failed: " << cudaGetErrorString(rc)
                    << "; an earlier GPU error is the likely cause (CUDA_LAUNCH_BLOCKING=1 "
                       "finds it)");
  }
  if (capturing()) {
    // Inside a step captured as a CUDA graph: waiting joins the comm stream back into the compute
    // stream on the GPU (the graph's dependency edge); nothing waits on the host. The join comes
    // at wait(), so a bucket's all-reduce still overlaps the backward work queued before it.
    return CommHandle([this, event, op] {
      const cudaError_t join = cudaStreamWaitEvent(compute_stream_, event, 0);
      release_event(event);
      STRATA_CHECK(join == cudaSuccess, op << ": joining the collective into the captured step "
                                           << "failed: " << cudaGetErrorString(join));
    });
  }
  return CommHandle([this, event, op, count, type] { wait_event(event, op, count, type); });
}

void NcclCommunicator::wait_event(cudaEvent_t event, const char* op, int64_t count, DataType type) {
  if (broken_) {
    release_event(event);
    check_usable(op);
  }
  cudaError_t cuda_state = cudaSuccess;
  ncclResult_t nccl_state = ncclSuccess;
  const PollResult result = poll_until(
      [&] {
        cuda_state = cudaEventQuery(event);
        if (cuda_state == cudaSuccess) return PollState::kDone;
        if (cuda_state != cudaErrorNotReady) return PollState::kFailed;
        // The GPU work is pending: it may be waiting on a peer that reported a network error.
        if (ncclCommGetAsyncError(comm_, &nccl_state) != ncclSuccess) {
          nccl_state = ncclInternalError;
        }
        return nccl_state == ncclSuccess || nccl_state == ncclInProgress ? PollState::kPending
                                                                         : PollState::kFailed;
      },
      timeout_s_);
  release_event(event);
  if (result == PollResult::kDone) return;
  std::ostringstream os;
  os << op << " of " << count << " " << data_type_name(type) << " ";
  if (result == PollResult::kTimedOut) {
    os << "did not complete within distributed.timeout_s = " << timeout_s_ << " s";
  } else if (cuda_state != cudaSuccess && cuda_state != cudaErrorNotReady) {
    os << "failed on the GPU: " << cudaGetErrorString(cuda_state);
  } else {
    os << "failed in NCCL: " << nccl_error_text(nccl_state, comm_);
  }
  os << "; " << kTimeoutAdvice;
  fail(os.str());
}

void NcclCommunicator::all_reduce(void* data, int64_t count, DataType type, ReduceOp op) {
  all_reduce_async(data, count, type, op).wait();
}

CommHandle NcclCommunicator::all_reduce_async(void* data, int64_t count, DataType type,
                                              ReduceOp op) {
  check_usable("all_reduce");
  STRATA_CHECK(count >= 0, "all_reduce: negative count " << count);
  check_reducible("all_reduce", type, op);
  if (count == 0) return CommHandle();
  check_device_buffer(data, "all_reduce");
  wait_for_compute("all_reduce");
  ncclRedOp_t nccl_op = ncclSum;
  if (op == ReduceOp::kAverage) nccl_op = type == DataType::kF64 ? average_f64_ : average_f32_;
  check_nccl(ncclAllReduce(data, data, static_cast<size_t>(count), nccl_type(type), nccl_op, comm_,
                           stream_),
             "ncclAllReduce");
  return completion("all_reduce", count, type);
}

void NcclCommunicator::broadcast(void* data, int64_t count, DataType type, int root) {
  check_usable("broadcast");
  STRATA_CHECK(count >= 0, "broadcast: negative count " << count);
  STRATA_CHECK(root >= 0 && root < size_,
               "broadcast: root " << root << " is not a rank of a world of size " << size_);
  if (count == 0) return;
  check_device_buffer(data, "broadcast");
  wait_for_compute("broadcast");
  check_nccl(
      ncclBroadcast(data, data, static_cast<size_t>(count), nccl_type(type), root, comm_, stream_),
      "ncclBroadcast");
  completion("broadcast", count, type).wait();
}

void NcclCommunicator::barrier() {
  check_usable("barrier");
  // NCCL has no barrier; a one-float all-reduce completes only when every rank has joined it.
  check_nccl(
      ncclAllReduce(barrier_scratch_, barrier_scratch_, 1, ncclFloat32, ncclSum, comm_, stream_),
      "ncclAllReduce (barrier)");
  completion("barrier", 1, DataType::kF32).wait();
}

void NcclCommunicator::all_gather(const void* in, int64_t count, DataType type, void* out) {
  check_usable("all_gather");
  STRATA_CHECK(count >= 0, "all_gather: negative count " << count);
  if (count == 0) return;
  check_device_buffer(in, "all_gather");
  check_device_buffer(out, "all_gather");
  wait_for_compute("all_gather");
  check_nccl(ncclAllGather(in, out, static_cast<size_t>(count), nccl_type(type), comm_, stream_),
             "ncclAllGather");
  completion("all_gather", count, type).wait();
}

}  // namespace strata
