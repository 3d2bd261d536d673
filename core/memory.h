// Memory of every device behind one interface: a tensor asks allocator_for(device) for its storage,
// and copies between devices are explicit (copy_bytes). The CPU allocator hands out 64-byte aligned
// host memory; the CUDA build adds device memory (core/cuda/memory.cpp). A CPU-only build
// compiles and runs without any CUDA; asking it for CUDA memory is an error that says so.
//
// New host memory is zero-filled. set_new_memory_fill(kNaN) (or STRATA_FILL_NEW=nan in the
// environment) fills it with NaN instead: device memory is never zeroed, so code must not rely on
// zeros it did not write, and the test programs run with NaN to prove that it does not.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/device.h"

namespace strata {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual Device device() const = 0;
  // At least `bytes` bytes (64-byte aligned); throws strata::Error naming the device and the size
  // when there is not enough memory.
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* p) = 0;
};

// The allocator of `device` (one per device, alive for the whole program). Throws naming the
// device when this build or machine has none.
Allocator& allocator_for(Device device);

enum class NewMemoryFill { kZero, kNaN };
void set_new_memory_fill(NewMemoryFill fill);
NewMemoryFill new_memory_fill();

// Copies `bytes` from src (on src_device) to dst (on dst_device). Between the CPU and a CUDA
// device, or two CUDA devices, the copy is queued on `stream` (nullptr: the default stream) and
// this call waits for it, unless `async` (then dst or src must stay alive until the stream has
// done it). Host to host is a plain memcpy.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes,
                Stream stream = nullptr, bool async = false);

}  // namespace strata
