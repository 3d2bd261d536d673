// Device memory and copies through the CUDA runtime, for core/memory.h (CUDA build only; host
// code, no kernels).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/memory.h"

namespace strata::cuda {

// The allocator of CUDA device `index` (cudaMalloc / cudaFree on that device). Throws naming the
// device when it does not exist (no GPU, or fewer than index + 1).
Allocator& device_allocator(int index);

// cudaMemGetInfo on device `index`: *used = total - free (the whole device: every context and
// process), *total = the device's memory. Throws naming the device on failure.
void device_memory_info(int index, int64_t* used, int64_t* total);

// core/memory.h's copy_bytes for a copy with at least one device side (cudaMemcpyAsync on the
// stream, then a wait on it unless async).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes,
                Stream stream, bool async);

}  // namespace strata::cuda
