#include "distributed/local_communicator.h"

#include <cstring>

#include "core/error.h"

namespace strata {

void LocalCommunicator::all_reduce(void*, int64_t count, DataType type, ReduceOp op) {
  STRATA_CHECK(count >= 0, "all_reduce: negative count " << count);
  check_reducible("all_reduce", type, op);
  // Sum and average over one rank are both the identity.
}

CommHandle LocalCommunicator::all_reduce_async(void* data, int64_t count, DataType type,
                                               ReduceOp op) {
  all_reduce(data, count, type, op);
  return CommHandle();
}

void LocalCommunicator::broadcast(void*, int64_t count, DataType, int root) {
  STRATA_CHECK(count >= 0, "broadcast: negative count " << count);
  STRATA_CHECK(root == 0, "broadcast: root " << root << " is not a rank of a world of size 1");
}

void LocalCommunicator::all_gather(const void* in, int64_t count, DataType type, void* out) {
  STRATA_CHECK(count >= 0, "all_gather: negative count " << count);
  if (count > 0 && in != out)
    std::memmove(out, in, static_cast<size_t>(count * data_type_size(type)));
}

}  // namespace strata
