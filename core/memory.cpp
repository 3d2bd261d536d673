#include "core/memory.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>

#include "core/error.h"
#include "core/step_capture.h"
#if STRATA_WITH_CUDA
#include "core/cuda/memory.h"
#endif

namespace strata {
namespace {

std::atomic<NewMemoryFill> g_fill{NewMemoryFill::kZero};

// The fill chosen by STRATA_FILL_NEW ("nan" or "zero"), read once.
void read_fill_from_environment() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* v = std::getenv("STRATA_FILL_NEW");
    if (v == nullptr || *v == '\0') return;
    const std::string s(v);
    STRATA_CHECK(s == "nan" || s == "zero",
                 "STRATA_FILL_NEW='" << s << "': expected nan or zero (what new host memory is "
                                     << "filled with)");
    g_fill.store(s == "nan" ? NewMemoryFill::kNaN : NewMemoryFill::kZero);
  });
}

// Host memory for the CPU, or for the emulated device (always NaN-filled there: device memory is
// never zeroed).
class CpuAllocator final : public Allocator {
 public:
  explicit CpuAllocator(Device device) : device_(device) {}
  Device device() const override { return device_; }
  void* allocate(size_t bytes) override {
    constexpr size_t kAlign = 64;
    bytes = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, bytes);
    STRATA_CHECK(p != nullptr, "out of host memory allocating "
                                   << bytes << " bytes; reduce the batch size or the model size");
    if (new_memory_fill() == NewMemoryFill::kNaN || device_.is_emulated()) {
      float* f = static_cast<float*>(p);
      std::fill(f, f + bytes / sizeof(float), std::numeric_limits<float>::quiet_NaN());
    } else {
      std::memset(p, 0, bytes);
    }
    return p;
  }
  void deallocate(void* p) override { std::free(p); }

 private:
  Device device_;
};

}  // namespace

std::string Device::str() const {
  return is_cpu() ? "cpu" : is_emulated() ? "emulated" : "cuda:" + std::to_string(index);
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) {
    static CpuAllocator cpu(Device::cpu());
    return cpu;
  }
  if (device.is_emulated()) {
    static CpuAllocator emulated(Device::emulated());
    return emulated;
  }
#if STRATA_WITH_CUDA
  return cuda::device_allocator(device.index);
#else
  STRATA_THROW("memory on " << device.str()
                            << " was asked for, but this Strata was built without CUDA; "
                               "reconfigure with -DSTRATA_CUDA=ON on a machine with the CUDA "
                               "toolkit, or use device cpu");
#endif
}

void set_new_memory_fill(NewMemoryFill fill) {
  read_fill_from_environment();  // an explicit call wins over the environment
  g_fill.store(fill);
}

NewMemoryFill new_memory_fill() {
  read_fill_from_environment();
  return g_fill.load();
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes,
                Stream stream, bool async) {
  if (bytes == 0) return;
  // Inside a captured step: no copy that involves the host or waits (core/step_capture.h).
  const bool host_only = dst_device.is_cpu() && src_device.is_cpu();
  if (capturing() && !host_only && (dst_device.is_cpu() || src_device.is_cpu() || !async)) {
    const std::string what = "a copy from " + src_device.str() + " to " + dst_device.str();
    check_not_capturing(what.c_str());
  }
  if (!dst_device.is_cuda() && !src_device.is_cuda()) {  // host memory on both sides
    std::memmove(dst, src, bytes);
    return;
  }
#if STRATA_WITH_CUDA
  cuda::copy_bytes(dst, dst_device, src, src_device, bytes, stream, async);
#else
  (void)stream;
  (void)async;
  STRATA_THROW("a copy between " << src_device.str() << " and " << dst_device.str()
                                 << " needs the CUDA build; this Strata was built without CUDA");
#endif
}

}  // namespace strata
