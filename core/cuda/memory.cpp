#include "core/cuda/memory.h"

#include <cuda_runtime_api.h>

#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace strata::cuda {
namespace {

// Throws a strata::Error naming what failed and the CUDA runtime's reason.
void check(cudaError_t rc, const char* what, Device device) {
  if (rc == cudaSuccess) return;
  STRATA_THROW(what << " on " << device.str() << " failed: " << cudaGetErrorString(rc));
}

class DeviceAllocator final : public Allocator {
 public:
  explicit DeviceAllocator(int index) : device_(Device::cuda(index)) {}
  Device device() const override { return device_; }

 protected:
  void* raw_allocate(size_t bytes) override {
    check(cudaSetDevice(device_.index), "cudaSetDevice", device_);
    void* p = nullptr;
    const cudaError_t rc = cudaMalloc(&p, bytes > 0 ? bytes : 1);
    if (rc == cudaErrorMemoryAllocation)
      STRATA_THROW("out of GPU memory on " << device_.str() << " allocating " << bytes
                                           << " bytes; reduce the batch size or the model size");
    check(rc, "cudaMalloc", device_);
    return p;
  }
  void raw_deallocate(void* p) override {
    cudaSetDevice(device_.index);
    cudaFree(p);
  }

 private:
  Device device_;
};

}  // namespace

Allocator& device_allocator(int index) {
  static std::mutex mu;
  // Never destroyed: tensors and backends that live until exit free through them.
  static auto& allocators = *new std::vector<std::unique_ptr<DeviceAllocator>>();
  std::lock_guard<std::mutex> lock(mu);
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  STRATA_CHECK(
      rc == cudaSuccess && index >= 0 && index < count,
      "memory on cuda:" << index << " was asked for, but "
                        << (rc != cudaSuccess
                                ? std::string("the CUDA runtime finds no GPU (") +
                                      cudaGetErrorString(rc) + ")"
                                : "this machine has " + std::to_string(count) + " CUDA device(s)")
                        << "; use device cpu, or run on a machine with a GPU");
  if (allocators.size() < static_cast<size_t>(count)) allocators.resize(count);
  if (!allocators[index]) allocators[index] = std::make_unique<DeviceAllocator>(index);
  return *allocators[index];
}

void device_memory_info(int index, int64_t* used, int64_t* total) {
  const Device device = Device::cuda(index);
  check(cudaSetDevice(index), "cudaSetDevice", device);
  size_t free_bytes = 0, total_bytes = 0;
  check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo", device);
  *used = static_cast<int64_t>(total_bytes - free_bytes);
  *total = static_cast<int64_t>(total_bytes);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes,
                Stream stream, bool async) {
  const Device on = dst_device.is_cuda() ? dst_device : src_device;
  check(cudaSetDevice(on.index), "cudaSetDevice", on);
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, s), "cudaMemcpyAsync", on);
  if (!async) check(cudaStreamSynchronize(s), "cudaStreamSynchronize", on);
}

}  // namespace strata::cuda
