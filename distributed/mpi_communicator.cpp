#include "distributed/mpi_communicator.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/error.h"

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
bool g_we_initialised = false;

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// Initialises MPI once per process. We ask for MPI_THREAD_MULTIPLE; Debian's Open MPI 4 grants
// it (its UCX/ob1 paths are thread safe), other builds may grant only FUNNELED or SINGLE. Strata
// calls MPI from one thread (the training thread) only, so FUNNELED is all it needs; the level
// granted is recorded and available as MpiCommunicator::thread_level().
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
    g_we_initialised = true;
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

void scale(float* data, int64_t count, float factor) {
#pragma omp parallel for simd if (count > (1 << 16))
  for (int64_t i = 0; i < count; ++i) data[i] *= factor;
}

}  // namespace

int MpiCommunicator::thread_level() {
  return g_thread_level;
}

MpiCommunicator::MpiCommunicator(double timeout_s, int64_t max_count)
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
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;  // MPI already released everything
  if (local_comm_ != MPI_COMM_NULL) MPI_Comm_free(&local_comm_);
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiCommunicator::all_reduce(float* data, int64_t count, ReduceOp op) {
  all_reduce_async(data, count, op).wait();
}

CommHandle MpiCommunicator::all_reduce_async(float* data, int64_t count, ReduceOp op) {
  STRATA_CHECK(count >= 0, "all_reduce: negative count " << count);
  if (count == 0) return CommHandle();
  STRATA_CHECK(data != nullptr, "all_reduce: null buffer for " << count << " elements");
  // Divide before the sum: each addend is at most max/size, so the sum cannot overflow.
  if (op == ReduceOp::kAverage && size_ > 1) scale(data, count, 1.0f / static_cast<float>(size_));
  std::vector<MPI_Request> requests;
  requests.reserve(static_cast<size_t>((count + max_count_ - 1) / max_count_));
  for_each_piece(count, max_count_, [&](int64_t offset, int piece) {
    MPI_Request request = MPI_REQUEST_NULL;
    STRATA_MPI_CHECK(
        MPI_Iallreduce(MPI_IN_PLACE, data + offset, piece, MPI_FLOAT, MPI_SUM, comm_, &request));
    requests.push_back(request);
  });
  return CommHandle([requests]() mutable {
    STRATA_MPI_CHECK(
        MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
  });
}

void MpiCommunicator::broadcast(float* data, int64_t count, int root) {
  STRATA_CHECK(count >= 0, "broadcast: negative count " << count);
  STRATA_CHECK(root >= 0 && root < size_,
               "broadcast: root " << root << " is not a rank of a world of size " << size_);
  for_each_piece(count, max_count_, [&](int64_t offset, int piece) {
    STRATA_MPI_CHECK(MPI_Bcast(data + offset, piece, MPI_FLOAT, root, comm_));
  });
}

void MpiCommunicator::barrier() {
  STRATA_MPI_CHECK(MPI_Barrier(comm_));
}

void MpiCommunicator::all_gather(const float* in, int64_t count, float* out) {
  STRATA_CHECK(count >= 0, "all_gather: negative count " << count);
  if (count == 0) return;
  if (count <= max_count_) {
    STRATA_MPI_CHECK(MPI_Allgather(in, static_cast<int>(count), MPI_FLOAT, out,
                                   static_cast<int>(count), MPI_FLOAT, comm_));
    return;
  }
  // Piece by piece: rank r's piece at offset o lands at out + r * count + o, so each piece is
  // received as one block of a type whose extent is the whole per-rank stride.
  for_each_piece(count, max_count_, [&](int64_t offset, int piece) {
    MPI_Datatype block = MPI_DATATYPE_NULL;
    MPI_Datatype strided = MPI_DATATYPE_NULL;
    STRATA_MPI_CHECK(MPI_Type_contiguous(piece, MPI_FLOAT, &block));
    STRATA_MPI_CHECK(MPI_Type_create_resized(
        block, 0, static_cast<MPI_Aint>(count) * static_cast<MPI_Aint>(sizeof(float)), &strided));
    STRATA_MPI_CHECK(MPI_Type_commit(&strided));
    const int rc = MPI_Allgather(in + offset, piece, MPI_FLOAT, out + offset, 1, strided, comm_);
    MPI_Type_free(&strided);
    MPI_Type_free(&block);
    STRATA_MPI_CHECK(rc);
  });
}

}  // namespace strata
