// Memory of every device behind one interface: a tensor asks allocator_for(device) for its storage,
// and copies between devices are explicit (copy_bytes). The CPU allocator hands out 64-byte aligned
// host memory; the CUDA build adds device memory (core/cuda/memory.cpp). A CPU-only build
// compiles and runs without any CUDA; asking it for CUDA memory is an error that says so.
//
// Every allocation is counted per device (memory_stats): the bytes live now and the most there
// have been, as the allocator hands them out (accounted_bytes: the request rounded up to the
// allocator's granularity). On a CUDA device the stats also carry what cudaMemGetInfo says is in
// use on the whole device (the CUDA context, cuBLAS/cuDNN internals, other processes), which the
// counters cannot see.
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
  // At least `bytes` bytes (64-byte aligned), counted in memory_stats(device()); throws
  // strata::Error naming the device and the size when there is not enough memory.
  void* allocate(size_t bytes);
  // Frees p, which allocate(bytes) returned (the same `bytes`: the count goes down by as much).
  void deallocate(void* p, size_t bytes);

 protected:
  virtual void* raw_allocate(size_t bytes) = 0;
  virtual void raw_deallocate(void* p) = 0;
};

// The allocator of `device` (one per device, alive for the whole program). Throws naming the
// device when this build or machine has none.
Allocator& allocator_for(Device device);

// The bytes an allocation of `bytes` counts for on `device`: the request rounded up to 64 bytes on
// the host (the CPU and the emulated device) and to 512 bytes on a CUDA device (the block size
// PyTorch's caching allocator rounds to, so the two counts compare); a request of 0 counts as 1.
int64_t accounted_bytes(Device device, size_t bytes);

struct MemoryStats {
  int64_t current_bytes = 0;  // live allocations on the device, accounted_bytes each
  int64_t peak_bytes = 0;     // the most current_bytes has been since start or reset_peak_memory
  int64_t allocations = 0;    // allocate calls since start
  int64_t frees = 0;          // deallocate calls since start
  // CUDA only (-1 elsewhere): cudaMemGetInfo's total minus free, now, for the whole device.
  int64_t device_used_bytes = -1;
  int64_t device_total_bytes = -1;
};

// The counts of `device` (thread-safe; counters are atomics, updated at every allocation).
MemoryStats memory_stats(Device device);
// Starts a new peak: peak_bytes becomes current_bytes.
void reset_peak_memory(Device device);

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
