#include "distributed/mpi_communicator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/error.h"

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

using Clock = std::chrono::steady_clock;

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
void scale(float* data, int64_t count, float factor) {
#pragma omp simd
  for (int64_t i = 0; i < count; ++i) data[i] *= factor;
}

enum class JobKind : uint8_t { kAllReduce, kBroadcast, kBarrier, kAllGather };

// One queued collective: plain data, copied into a ring slot, so queuing allocates nothing.
struct Job {
  JobKind kind = JobKind::kBarrier;
  ReduceOp op = ReduceOp::kSum;
  int root = 0;
  int64_t count = 0;
  float* data = nullptr;
  const float* in = nullptr;
};

const char* kind_name(JobKind kind) {
  switch (kind) {
    case JobKind::kAllReduce:
      return "all_reduce";
    case JobKind::kBroadcast:
      return "broadcast";
    case JobKind::kBarrier:
      return "barrier";
    case JobKind::kAllGather:
      return "all_gather";
  }
  return "collective";
}

}  // namespace

struct MpiCommunicator::Queue {
  // In-flight collectives before a new one waits for a free slot (a reducer has one per bucket).
  static constexpr uint64_t kSlots = 256;
  struct Slot {
    Job job;
    std::vector<MPI_Request> requests;  // calling-thread mode only; keeps its capacity
  };

  MPI_Comm comm = MPI_COMM_NULL;
  int size = 1;
  int64_t max_count = INT_MAX;
  double timeout_s = kDefaultCommTimeoutS;
  bool threaded = false;

  std::mutex mu;
  std::condition_variable work_cv;  // the communication thread waits for jobs
  std::condition_variable done_cv;  // waiters wait for completions
  std::array<Slot, kSlots> slots;
  // Job seq lives in slots[seq % kSlots]; jobs [completed, submitted) are queued or running, and
  // they complete in order, so "job seq is done" is completed > seq.
  uint64_t submitted = 0, completed = 0;
  bool stop = false;
  bool busy = false;         // the communication thread is inside an MPI call
  std::exception_ptr error;  // set once broken; rethrown by every later call
  std::thread thread;

  std::chrono::duration<double> timeout() const { return std::chrono::duration<double>(timeout_s); }
};

namespace {

using Queue = MpiCommunicator::Queue;

std::exception_ptr timeout_error(const Queue& q, const Job& job) {
  std::ostringstream os;
  os << kind_name(job.kind);
  if (job.kind != JobKind::kBarrier) os << " of " << job.count << " floats";
  os << " did not complete within " << q.timeout_s
     << " s (distributed.timeout_s): another rank has probably failed or stopped; look for its "
        "error above, or raise distributed.timeout_s";
  return std::make_exception_ptr(Error(os.str(), __FILE__, __LINE__));
}

// Runs a job with the blocking MPI calls (on the communication thread).
void run_job(Queue& q, const Job& job) {
  switch (job.kind) {
    case JobKind::kAllReduce:
      // Divide before the sum: each addend is at most max/size, so the sum cannot overflow.
      if (job.op == ReduceOp::kAverage && q.size > 1)
        scale(job.data, job.count, 1.0f / static_cast<float>(q.size));
      for_each_piece(job.count, q.max_count, [&](int64_t offset, int piece) {
        STRATA_MPI_CHECK(
            MPI_Allreduce(MPI_IN_PLACE, job.data + offset, piece, MPI_FLOAT, MPI_SUM, q.comm));
      });
      return;
    case JobKind::kBroadcast:
      for_each_piece(job.count, q.max_count, [&](int64_t offset, int piece) {
        STRATA_MPI_CHECK(MPI_Bcast(job.data + offset, piece, MPI_FLOAT, job.root, q.comm));
      });
      return;
    case JobKind::kBarrier:
      STRATA_MPI_CHECK(MPI_Barrier(q.comm));
      return;
    case JobKind::kAllGather:
      break;
  }
  const int64_t count = job.count;
  if (count <= q.max_count) {
    STRATA_MPI_CHECK(MPI_Allgather(job.in, static_cast<int>(count), MPI_FLOAT, job.data,
                                   static_cast<int>(count), MPI_FLOAT, q.comm));
    return;
  }
  // Piece by piece: rank r's piece at offset o lands at out + r * count + o, so each piece is
  // received as one block of a type whose extent is the whole per-rank stride.
  for_each_piece(count, q.max_count, [&](int64_t offset, int piece) {
    MPI_Datatype block = MPI_DATATYPE_NULL;
    MPI_Datatype strided = MPI_DATATYPE_NULL;
    STRATA_MPI_CHECK(MPI_Type_contiguous(piece, MPI_FLOAT, &block));
    STRATA_MPI_CHECK(MPI_Type_create_resized(
        block, 0, static_cast<MPI_Aint>(count) * static_cast<MPI_Aint>(sizeof(float)), &strided));
    STRATA_MPI_CHECK(MPI_Type_commit(&strided));
    const int rc =
        MPI_Allgather(job.in + offset, piece, MPI_FLOAT, job.data + offset, 1, strided, q.comm);
    MPI_Type_free(&strided);
    MPI_Type_free(&block);
    STRATA_MPI_CHECK(rc);
  });
}

// Starts a job with the nonblocking MPI calls (calling-thread mode); poll_job completes it.
void start_job(Queue& q, Queue::Slot& slot) {
  const Job& job = slot.job;
  slot.requests.clear();
  auto add = [&](auto&& start) {
    MPI_Request request = MPI_REQUEST_NULL;
    start(&request);
    slot.requests.push_back(request);
  };
  switch (job.kind) {
    case JobKind::kAllReduce:
      if (job.op == ReduceOp::kAverage && q.size > 1)
        scale(job.data, job.count, 1.0f / static_cast<float>(q.size));
      for_each_piece(job.count, q.max_count, [&](int64_t offset, int piece) {
        add([&](MPI_Request* r) {
          STRATA_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, job.data + offset, piece, MPI_FLOAT,
                                          MPI_SUM, q.comm, r));
        });
      });
      return;
    case JobKind::kBroadcast:
      for_each_piece(job.count, q.max_count, [&](int64_t offset, int piece) {
        add([&](MPI_Request* r) {
          STRATA_MPI_CHECK(MPI_Ibcast(job.data + offset, piece, MPI_FLOAT, job.root, q.comm, r));
        });
      });
      return;
    case JobKind::kBarrier:
      add([&](MPI_Request* r) { STRATA_MPI_CHECK(MPI_Ibarrier(q.comm, r)); });
      return;
    case JobKind::kAllGather:
      break;
  }
  const int64_t count = job.count;
  for_each_piece(count, q.max_count, [&](int64_t offset, int piece) {
    // As in run_job; a datatype may be freed while an operation using it is pending.
    MPI_Datatype block = MPI_DATATYPE_NULL;
    MPI_Datatype strided = MPI_DATATYPE_NULL;
    STRATA_MPI_CHECK(MPI_Type_contiguous(piece, MPI_FLOAT, &block));
    STRATA_MPI_CHECK(MPI_Type_create_resized(
        block, 0, static_cast<MPI_Aint>(count) * static_cast<MPI_Aint>(sizeof(float)), &strided));
    STRATA_MPI_CHECK(MPI_Type_commit(&strided));
    int rc = MPI_SUCCESS;
    add([&](MPI_Request* r) {
      rc = MPI_Iallgather(job.in + offset, piece, MPI_FLOAT, job.data + offset, 1, strided, q.comm,
                          r);
    });
    MPI_Type_free(&strided);
    MPI_Type_free(&block);
    STRATA_MPI_CHECK(rc);
  });
}

// Polls a started job until done; false when the deadline passed first.
bool poll_job(Queue::Slot& slot, Clock::time_point deadline) {
  for (;;) {
    int done = 0;
    STRATA_MPI_CHECK(MPI_Testall(static_cast<int>(slot.requests.size()), slot.requests.data(),
                                 &done, MPI_STATUSES_IGNORE));
    if (done) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
}

// Marks the communicator broken (the first error wins) and throws it.
[[noreturn]] void fail(Queue& q, std::exception_ptr error) {
  if (!q.error) q.error = std::move(error);
  q.done_cv.notify_all();
  std::rethrow_exception(q.error);
}

// Calling-thread mode, with q.mu held: completes jobs in order through seq.
void complete_through(Queue& q, uint64_t seq) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(q.timeout());
  while (q.completed <= seq) {
    Queue::Slot& slot = q.slots[q.completed % Queue::kSlots];
    bool done = false;
    try {
      done = poll_job(slot, deadline);
    } catch (...) {
      fail(q, std::current_exception());
    }
    if (!done) fail(q, timeout_error(q, slot.job));
    ++q.completed;
  }
}

void wait_job(Queue& q, uint64_t seq) {
  std::unique_lock<std::mutex> lock(q.mu);
  if (q.completed > seq) return;
  if (q.error) std::rethrow_exception(q.error);
  if (!q.threaded) return complete_through(q, seq);
  const bool finished =
      q.done_cv.wait_for(lock, q.timeout(), [&] { return q.completed > seq || q.error; });
  if (q.completed > seq) return;
  if (q.error) std::rethrow_exception(q.error);
  if (!finished) fail(q, timeout_error(q, q.slots[seq % Queue::kSlots].job));
}

// Queues (communication thread) or starts (calling thread) a job; returns its sequence number.
uint64_t submit(Queue& q, const Job& job) {
  std::unique_lock<std::mutex> lock(q.mu);
  if (q.error) std::rethrow_exception(q.error);
  if (q.submitted - q.completed == Queue::kSlots) {
    // The ring is full: wait for the oldest job, as its wait would.
    if (!q.threaded) {
      complete_through(q, q.completed);
    } else if (!q.done_cv.wait_for(lock, q.timeout(), [&] {
                 return q.submitted - q.completed < Queue::kSlots || q.error;
               })) {
      fail(q, timeout_error(q, q.slots[q.completed % Queue::kSlots].job));
    }
    if (q.error) std::rethrow_exception(q.error);
  }
  const uint64_t seq = q.submitted;
  Queue::Slot& slot = q.slots[seq % Queue::kSlots];
  slot.job = job;
  if (!q.threaded) {
    try {
      start_job(q, slot);
    } catch (...) {
      fail(q, std::current_exception());
    }
    ++q.submitted;
    return seq;
  }
  ++q.submitted;
  lock.unlock();
  q.work_cv.notify_one();
  return seq;
}

// The communication thread: runs queued jobs in order until stopped (after draining the queue)
// or broken (after a failure the ranks no longer agree on what comes next, so nothing more runs).
void comm_thread_main(std::shared_ptr<Queue> keep_alive) {
  Queue& q = *keep_alive;
  std::unique_lock<std::mutex> lock(q.mu);
  for (;;) {
    q.work_cv.wait(lock, [&] { return q.stop || (!q.error && q.completed < q.submitted); });
    if (q.error || q.completed == q.submitted) return;
    const Job job = q.slots[q.completed % Queue::kSlots].job;
    q.busy = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      run_job(q, job);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    q.busy = false;
    if (error) {
      if (!q.error) q.error = error;
    } else {
      ++q.completed;
    }
    q.done_cv.notify_all();
  }
}

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

  queue_ = std::make_shared<Queue>();
  queue_->comm = comm_;
  queue_->size = size_;
  queue_->max_count = max_count_;
  queue_->timeout_s = timeout_s_;
  queue_->threaded = progress == Progress::kAuto && g_thread_level >= MPI_THREAD_SERIALIZED;
  if (queue_->threaded) queue_->thread = std::thread(comm_thread_main, queue_);
}

MpiCommunicator::~MpiCommunicator() {
  Queue& q = *queue_;
  bool comm_in_use = false;
  {
    std::unique_lock<std::mutex> lock(q.mu);
    // Let queued collectives finish, so no buffer is left in flight; a broken communicator has
    // already waited its timeout once and does not wait again.
    if (!q.error && q.completed < q.submitted) {
      if (q.threaded) {
        if (!q.done_cv.wait_for(lock, q.timeout(),
                                [&] { return q.completed == q.submitted || q.error; }))
          q.error = timeout_error(q, q.slots[q.completed % Queue::kSlots].job);
      } else {
        try {
          complete_through(q, q.submitted - 1);
        } catch (...) {
          // Already recorded in q.error; a destructor has no one to report to.
        }
      }
    }
    q.stop = true;
    comm_in_use = q.busy || (!q.threaded && q.completed < q.submitted);
  }
  if (q.thread.joinable()) {
    q.work_cv.notify_one();
    if (comm_in_use) {
      // Stuck inside MPI waiting for a rank that stopped: it cannot be joined. It holds the
      // queue alive; abort_job (distributed/fault.h) ends the process.
      g_abandoned_thread.store(true);
      q.thread.detach();
    } else {
      q.thread.join();
    }
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized || comm_in_use) return;  // MPI already released everything, or still busy
  if (local_comm_ != MPI_COMM_NULL) MPI_Comm_free(&local_comm_);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

bool MpiCommunicator::uses_comm_thread() const {
  return queue_->threaded;
}

bool MpiCommunicator::broken() const {
  std::lock_guard<std::mutex> lock(queue_->mu);
  return static_cast<bool>(queue_->error);
}

int64_t MpiCommunicator::in_flight() const {
  std::lock_guard<std::mutex> lock(queue_->mu);
  return static_cast<int64_t>(queue_->submitted - queue_->completed);
}

void MpiCommunicator::all_reduce(float* data, int64_t count, ReduceOp op) {
  all_reduce_async(data, count, op).wait();
}

CommHandle MpiCommunicator::all_reduce_async(float* data, int64_t count, ReduceOp op) {
  STRATA_CHECK(count >= 0, "all_reduce: negative count " << count);
  if (count == 0) return CommHandle();
  STRATA_CHECK(data != nullptr, "all_reduce: null buffer for " << count << " elements");
  Job job;
  job.kind = JobKind::kAllReduce;
  job.op = op;
  job.count = count;
  job.data = data;
  const uint64_t seq = submit(*queue_, job);
  // Two words: std::function keeps them inline, so a handle allocates nothing.
  return CommHandle([q = queue_.get(), seq] { wait_job(*q, seq); });
}

void MpiCommunicator::broadcast(float* data, int64_t count, int root) {
  STRATA_CHECK(count >= 0, "broadcast: negative count " << count);
  STRATA_CHECK(root >= 0 && root < size_,
               "broadcast: root " << root << " is not a rank of a world of size " << size_);
  if (count == 0) return;
  Job job;
  job.kind = JobKind::kBroadcast;
  job.root = root;
  job.count = count;
  job.data = data;
  wait_job(*queue_, submit(*queue_, job));
}

void MpiCommunicator::barrier() {
  Job job;
  job.kind = JobKind::kBarrier;
  wait_job(*queue_, submit(*queue_, job));
}

void MpiCommunicator::all_gather(const float* in, int64_t count, float* out) {
  STRATA_CHECK(count >= 0, "all_gather: negative count " << count);
  if (count == 0) return;
  Job job;
  job.kind = JobKind::kAllGather;
  job.count = count;
  job.in = in;
  job.data = out;
  wait_job(*queue_, submit(*queue_, job));
}

}  // namespace strata
