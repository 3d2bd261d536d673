// MpiCommunicator (mpi_communicator.h): MPI's lifetime, the communicators, and each collective as
// MPI calls (blocking on the communication thread, nonblocking and tested on the calling thread).
// Queuing, ordering, timeouts and the broken state are CollectiveQueue's (collective_queue.h).
#include "distributed/mpi_communicator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/step_capture.h"
#include "distributed/collective_queue.h"

#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // Open MPI's extensions: MPIX_CUDA_AWARE_SUPPORT
#endif

namespace strata {
namespace {

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "unknown MPI error";
  return std::string(text, length);
}

}  // namespace
}  // namespace strata

// Calls an MPI function and turns a failing return code into a strata::Error naming the call.
#define STRATA_MPI_CHECK(call)                                                                   \
  do {                                                                                           \
    const int strata_mpi_rc_ = (call);                                                           \
    if (strata_mpi_rc_ != MPI_SUCCESS) {                                                         \
      STRATA_THROW(#call << " failed: " << ::strata::mpi_error_text(strata_mpi_rc_) << " (code " \
                         << strata_mpi_rc_                                                       \
                         << "); check that every rank calls the same collectives in "            \
                            "the same order with the same counts");                              \
    }                                                                                            \
  } while (0)

namespace strata {
namespace {

int g_thread_level = MPI_THREAD_SINGLE;
// Set when a communication thread stuck inside an MPI call (a rank stopped) was left running:
// MPI_Finalize would then wait for it forever, so it is skipped and the job ends unfinalised
// (mpirun reports that and exits non-zero, which is what a failed job should do).
std::atomic<bool> g_abandoned_thread{false};

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && !g_abandoned_thread.load()) MPI_Finalize();
}

// Initialises MPI once per process. We ask for MPI_THREAD_MULTIPLE; Debian's Open MPI 4 grants
// it. The communication thread needs SERIALIZED (one thread in MPI at a time); with less the
// collectives run on the calling thread. The level granted is MpiCommunicator::thread_level().
void init_mpi_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    int initialised = 0;
    STRATA_MPI_CHECK(MPI_Initialized(&initialised));
    if (initialised) {
      STRATA_MPI_CHECK(MPI_Query_thread(&g_thread_level));  // someone else owns MPI's lifetime
      return;
    }
    STRATA_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &g_thread_level));
    std::atexit(finalize_at_exit);
  });
}

// Splits [0, count) into pieces of at most max_count and calls fn(offset, piece) for each.
template <typename Fn>
void for_each_piece(int64_t count, int64_t max_count, Fn&& fn) {
  for (int64_t offset = 0; offset < count; offset += max_count) {
    fn(offset, static_cast<int>(std::min(max_count, count - offset)));
  }
}

// Serial on purpose: it runs on the communication thread while the training thread's OpenMP
// team computes, and a second team there would oversubscribe the cores for a memory-bound loop.
template <typename T>
void scale(T* data, int64_t count, T factor) {
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) data[i] *= factor;
}

// kAverage divides before the sum: each addend is at most max/size, so the sum cannot overflow.
void divide_for_average(const CollectiveJob& job, int size) {
  if (job.op != ReduceOp::kAverage || size <= 1) return;
  if (job.type == DataType::kF64)
    scale(static_cast<double*>(job.data), job.count, 1.0 / static_cast<double>(size));
  else
    scale(static_cast<float*>(job.data), job.count, 1.0f / static_cast<float>(size));
}

MPI_Datatype mpi_type(DataType type) {
  switch (type) {
    case DataType::kF32:
      return MPI_FLOAT;
    case DataType::kF64:
      return MPI_DOUBLE;
    case DataType::kI32:
      return MPI_INT32_T;
    case DataType::kI64:
      return MPI_INT64_T;
    case DataType::kBytes:
      return MPI_BYTE;
  }
  return MPI_BYTE;
}

// Element `offset` of a buffer of `type`.
void* elements_at(void* base, DataType type, int64_t offset) {
  return static_cast<char*>(base) + offset * data_type_size(type);
}
const void* elements_at(const void* base, DataType type, int64_t offset) {
  return static_cast<const char*>(base) + offset * data_type_size(type);
}

// The receive type of one piece of an all_gather split into pieces: rank r's piece at offset o
// lands at out + r * count + o, so each piece is received as one block of a type whose extent is
// the whole per-rank stride. Freed on scope exit (a datatype may be freed while an operation
// using it is pending).
struct StridedType {
  MPI_Datatype block = MPI_DATATYPE_NULL;
  MPI_Datatype strided = MPI_DATATYPE_NULL;

  StridedType(int piece, int64_t count, DataType type) {
    STRATA_MPI_CHECK(MPI_Type_contiguous(piece, mpi_type(type), &block));
    STRATA_MPI_CHECK(MPI_Type_create_resized(
        block, 0, static_cast<MPI_Aint>(count) * static_cast<MPI_Aint>(data_type_size(type)),
        &strided));
    STRATA_MPI_CHECK(MPI_Type_commit(&strided));
  }
  ~StridedType() {
    MPI_Type_free(&strided);
    MPI_Type_free(&block);
  }
  StridedType(const StridedType&) = delete;
  StridedType& operator=(const StridedType&) = delete;
};

// Runs the collectives of one communicator with MPI calls, for its CollectiveQueue.
class MpiRunner final : public CollectiveRunner {
 public:
  MpiRunner(MPI_Comm comm, int size, int64_t max_count)
      : comm_(comm), size_(size), max_count_(max_count) {}

  // Communication-thread mode: the blocking MPI calls.
  void run(const CollectiveJob& job) override {
    switch (job.kind) {
      case CollectiveKind::kAllReduce:
        divide_for_average(job, size_);
        for_each_piece(job.count, max_count_, [&](int64_t offset, int piece) {
          STRATA_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, elements_at(job.data, job.type, offset),
                                         piece, mpi_type(job.type), MPI_SUM, comm_));
        });
        return;
      case CollectiveKind::kBroadcast:
        for_each_piece(job.count, max_count_, [&](int64_t offset, int piece) {
          STRATA_MPI_CHECK(MPI_Bcast(elements_at(job.data, job.type, offset), piece,
                                     mpi_type(job.type), job.root, comm_));
        });
        return;
      case CollectiveKind::kBarrier:
        STRATA_MPI_CHECK(MPI_Barrier(comm_));
        return;
      case CollectiveKind::kAllGather:
        break;
    }
    const int64_t count = job.count;
    const MPI_Datatype t = mpi_type(job.type);
    if (count <= max_count_) {
      STRATA_MPI_CHECK(MPI_Allgather(job.in, static_cast<int>(count), t, job.data,
                                     static_cast<int>(count), t, comm_));
      return;
    }
    for_each_piece(count, max_count_, [&](int64_t offset, int piece) {
      const StridedType type(piece, count, job.type);
      STRATA_MPI_CHECK(MPI_Allgather(elements_at(job.in, job.type, offset), piece, t,
                                     elements_at(job.data, job.type, offset), 1, type.strided,
                                     comm_));
    });
  }

  // Calling-thread mode: the nonblocking MPI calls, completed by test().
  void start(uint64_t slot, const CollectiveJob& job) override {
    std::vector<MPI_Request>& requests = requests_[slot];
    requests.clear();
    auto add = [&](auto&& start) {
      MPI_Request request = MPI_REQUEST_NULL;
      start(&request);
      requests.push_back(request);
    };
    switch (job.kind) {
      case CollectiveKind::kAllReduce:
        divide_for_average(job, size_);
        for_each_piece(job.count, max_count_, [&](int64_t offset, int piece) {
          add([&](MPI_Request* r) {
            STRATA_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, elements_at(job.data, job.type, offset),
                                            piece, mpi_type(job.type), MPI_SUM, comm_, r));
          });
        });
        return;
      case CollectiveKind::kBroadcast:
        for_each_piece(job.count, max_count_, [&](int64_t offset, int piece) {
          add([&](MPI_Request* r) {
            STRATA_MPI_CHECK(MPI_Ibcast(elements_at(job.data, job.type, offset), piece,
                                        mpi_type(job.type), job.root, comm_, r));
          });
        });
        return;
      case CollectiveKind::kBarrier:
        add([&](MPI_Request* r) { STRATA_MPI_CHECK(MPI_Ibarrier(comm_, r)); });
        return;
      case CollectiveKind::kAllGather:
        break;
    }
    const int64_t count = job.count;
    for_each_piece(count, max_count_, [&](int64_t offset, int piece) {
      const StridedType type(piece, count, job.type);
      int rc = MPI_SUCCESS;
      add([&](MPI_Request* r) {
        rc = MPI_Iallgather(elements_at(job.in, job.type, offset), piece, mpi_type(job.type),
                            elements_at(job.data, job.type, offset), 1, type.strided, comm_, r);
      });
      STRATA_MPI_CHECK(rc);
    });
  }

  bool test(uint64_t slot) override {
    std::vector<MPI_Request>& requests = requests_[slot];
    int done = 0;
    STRATA_MPI_CHECK(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done,
                                 MPI_STATUSES_IGNORE));
    return done != 0;
  }

 private:
  MPI_Comm comm_;
  int size_;
  int64_t max_count_;
  // The requests of the job started in each ring slot; each vector keeps its capacity.
  std::array<std::vector<MPI_Request>, CollectiveQueue::kSlots> requests_;
};

}  // namespace

int MpiCommunicator::thread_level() {
  return g_thread_level;
}

bool MpiCommunicator::cuda_aware() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;  // built with CUDA and enabled at run time
#else
  return false;  // the library was built without CUDA support
#endif
}

std::string MpiCommunicator::library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) return "unknown";
  std::string v(text, length);
  const size_t end = v.find_first_of(",\n");  // "Open MPI v4.1.4, package: ..." -> first part
  return end == std::string::npos ? v : v.substr(0, end);
}

MpiCommunicator::MpiCommunicator(double timeout_s, int64_t max_count, Progress progress)
    : timeout_s_(timeout_s), max_count_(max_count) {
  STRATA_CHECK(timeout_s > 0, "distributed.timeout_s must be positive, got " << timeout_s);
  STRATA_CHECK(max_count > 0 && max_count <= INT_MAX,
               "MpiCommunicator: max_count " << max_count << " must be in [1, INT_MAX]");
  init_mpi_once();
  STRATA_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
  STRATA_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  STRATA_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  STRATA_MPI_CHECK(MPI_Comm_size(comm_, &size_));
  set_error_rank(rank_);
  STRATA_MPI_CHECK(
      MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_comm_));
  STRATA_MPI_CHECK(MPI_Comm_set_errhandler(local_comm_, MPI_ERRORS_RETURN));
  STRATA_MPI_CHECK(MPI_Comm_rank(local_comm_, &local_rank_));
  STRATA_MPI_CHECK(MPI_Comm_size(local_comm_, &local_size_));

  const char* aware = std::getenv("STRATA_MPI_CUDA_AWARE");
  takes_gpu_memory_ = cuda_aware() && !(aware != nullptr && std::string(aware) == "0");

  const bool threaded = progress == Progress::kAuto && g_thread_level >= MPI_THREAD_SERIALIZED;
  queue_ = CollectiveQueue::create(std::make_unique<MpiRunner>(comm_, size_, max_count_),
                                   timeout_s_, threaded);
}

MpiCommunicator::~MpiCommunicator() {
  const bool comm_in_use = queue_->stop();
  // A communication thread stuck inside MPI (a rank stopped) was detached: MPI_Finalize at exit
  // would wait for it forever.
  if (comm_in_use && queue_->threaded()) g_abandoned_thread.store(true);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized || comm_in_use) return;  // MPI already released everything, or still busy
  if (local_comm_ != MPI_COMM_NULL) MPI_Comm_free(&local_comm_);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

bool MpiCommunicator::uses_comm_thread() const {
  return queue_->threaded();
}

bool MpiCommunicator::broken() const {
  return queue_->broken();
}

void MpiCommunicator::abandon(const std::string& reason) {
  queue_->abandon(reason);
}

int64_t MpiCommunicator::in_flight() const {
  return queue_->in_flight();
}

void MpiCommunicator::all_reduce(void* data, int64_t count, DataType type, ReduceOp op) {
  all_reduce_async(data, count, type, op).wait();
}

CommHandle MpiCommunicator::all_reduce_async(void* data, int64_t count, DataType type,
                                             ReduceOp op) {
  check_not_capturing("an MPI all-reduce");
  STRATA_CHECK(count >= 0, "all_reduce: negative count " << count);
  check_reducible("all_reduce", type, op);
  if (count == 0) return CommHandle();
  STRATA_CHECK(data != nullptr, "all_reduce: null buffer for " << count << " elements");
  CollectiveJob job;
  job.kind = CollectiveKind::kAllReduce;
  job.type = type;
  job.op = op;
  job.count = count;
  job.data = data;
  const uint64_t seq = queue_->submit(job);
  // Two words: std::function keeps them inline, so a handle allocates nothing.
  return CommHandle([q = queue_.get(), seq] { q->wait(seq); });
}

void MpiCommunicator::broadcast(void* data, int64_t count, DataType type, int root) {
  check_not_capturing("an MPI broadcast");
  STRATA_CHECK(count >= 0, "broadcast: negative count " << count);
  STRATA_CHECK(root >= 0 && root < size_,
               "broadcast: root " << root << " is not a rank of a world of size " << size_);
  if (count == 0) return;
  CollectiveJob job;
  job.kind = CollectiveKind::kBroadcast;
  job.type = type;
  job.root = root;
  job.count = count;
  job.data = data;
  queue_->wait(queue_->submit(job));
}

void MpiCommunicator::barrier() {
  check_not_capturing("an MPI barrier");
  CollectiveJob job;
  job.kind = CollectiveKind::kBarrier;
  queue_->wait(queue_->submit(job));
}

void MpiCommunicator::all_gather(const void* in, int64_t count, DataType type, void* out) {
  check_not_capturing("an MPI all-gather");
  STRATA_CHECK(count >= 0, "all_gather: negative count " << count);
  if (count == 0) return;
  CollectiveJob job;
  job.kind = CollectiveKind::kAllGather;
  job.type = type;
  job.count = count;
  job.in = in;
  job.data = out;
  queue_->wait(queue_->submit(job));
}

}  // namespace strata
