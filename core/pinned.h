// HostPin: host memory pinned (page-locked, cudaHostRegister) while the object lives, so that
// copies between it and a GPU run at full PCIe/NVLink-C2C speed and can be asynchronous. Used
// for buffers that meet a GPU every step: the gradient staging buffer of a GPU model under MPI
// (distributed/gradient_reducer.h). Without CUDA, or where pinning fails (no GPU, a locked-memory
// limit), nothing is pinned and the memory works as before, only slower to copy.
#pragma once

#include <cstddef>

namespace strata {

class HostPin {
 public:
  HostPin() = default;
  HostPin(void* data, size_t bytes);
  ~HostPin();
  HostPin(HostPin&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
  HostPin& operator=(HostPin&& other) noexcept;
  HostPin(const HostPin&) = delete;
  HostPin& operator=(const HostPin&) = delete;

  bool pinned() const { return data_ != nullptr; }

 private:
  void release() noexcept;
  void* data_ = nullptr;  // registered memory, or null
};

}  // namespace strata
