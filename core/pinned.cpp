#include "core/pinned.h"

#include <utility>

#if STRATA_WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace strata {

HostPin::HostPin(void* data, size_t bytes) {
#if STRATA_WITH_CUDA
  int devices = 0;
  if (data == nullptr || bytes == 0 || cudaGetDeviceCount(&devices) != cudaSuccess ||
      devices == 0) {
    cudaGetLastError();  // no GPU: nothing to pin for
    return;
  }
  if (cudaHostRegister(data, bytes, cudaHostRegisterDefault) == cudaSuccess)
    data_ = data;
  else
    cudaGetLastError();  // e.g. RLIMIT_MEMLOCK: the copies stay pageable
#else
  (void)data;
  (void)bytes;
#endif
}

HostPin::~HostPin() {
  release();
}

HostPin& HostPin::operator=(HostPin&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
  }
  return *this;
}

void HostPin::release() noexcept {
#if STRATA_WITH_CUDA
  if (data_ != nullptr) cudaHostUnregister(data_);
#endif
  data_ = nullptr;
}

}  // namespace strata
