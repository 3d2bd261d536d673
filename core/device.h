// Device: where a tensor's memory lives and where the kernels that use it run - the CPU, or CUDA
// device N. A Stream is the queue device work is ordered on (a cudaStream_t in the CUDA build);
// the CPU runs work as it is called and has none.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

enum class DeviceKind : uint8_t { kCpu, kCuda };

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int index = 0;  // the CUDA device ordinal (0 for the CPU)

  static constexpr Device cpu() { return Device{}; }
  static constexpr Device cuda(int i) { return Device{DeviceKind::kCuda, i}; }
  constexpr bool is_cpu() const { return kind == DeviceKind::kCpu; }
  constexpr bool is_cuda() const { return kind == DeviceKind::kCuda; }
  friend constexpr bool operator==(Device a, Device b) {
    return a.kind == b.kind && (a.kind == DeviceKind::kCpu || a.index == b.index);
  }
  // "cpu", "cuda:0".
  std::string str() const;
};

// An opaque device stream (cudaStream_t); nullptr is the device's default stream, and the only
// value for the CPU.
using Stream = void*;

}  // namespace strata
