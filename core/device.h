// Device: where a tensor's memory lives and where the kernels that use it run - the CPU, or CUDA
// device N. A third kind, the emulated device, exists for tests in every build: its memory is
// host memory that the host accessors refuse, and its ops are the CPU's, so a whole run on it
// must give the CPU's values bit for bit while every host access of device data and every
// missing copy fails as it would with a GPU (select it with STRATA_TEST_DEVICE=emulated,
// core/device_select.h). A Stream is the queue device work is ordered on (a cudaStream_t in the
// CUDA build); the CPU runs work as it is called and has none.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

enum class DeviceKind : uint8_t { kCpu, kCuda, kEmulated };

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int index = 0;  // the CUDA device ordinal (0 for the CPU)

  static constexpr Device cpu() { return Device{}; }
  static constexpr Device cuda(int i) { return Device{DeviceKind::kCuda, i}; }
  static constexpr Device emulated() { return Device{DeviceKind::kEmulated, 0}; }
  constexpr bool is_cpu() const { return kind == DeviceKind::kCpu; }
  constexpr bool is_cuda() const { return kind == DeviceKind::kCuda; }
  constexpr bool is_emulated() const { return kind == DeviceKind::kEmulated; }
  friend constexpr bool operator==(Device a, Device b) {
    return a.kind == b.kind && (a.kind == DeviceKind::kCpu || a.index == b.index);
  }
  // "cpu", "cuda:0", "emulated".
  std::string str() const;
};

// An opaque device stream (cudaStream_t); nullptr is the device's default stream, and the only
// value for the CPU.
using Stream = void*;

}  // namespace strata
