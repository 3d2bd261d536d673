#include "core/memory.h"

#include <algorithm>
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

// The counters of one device. Atomics with constant initialisation and no destructor, so
// allocations made or freed during static destruction are still counted safely.
struct Counters {
  std::atomic<int64_t> current{0}, peak{0}, allocations{0}, frees{0};
};
constexpr int kMaxCudaDevices = 64;
Counters g_counters[2 + kMaxCudaDevices];  // the CPU, the emulated device, cuda:0...

Counters& counters_of(Device device) {
  if (device.is_cpu()) return g_counters[0];
  if (device.is_emulated()) return g_counters[1];
  STRATA_CHECK(device.index >= 0 && device.index < kMaxCudaDevices,
               "memory counters exist for cuda:0 to cuda:" << kMaxCudaDevices - 1 << ", not "
                                                           << device.str());
  return g_counters[2 + device.index];
}

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

 protected:
  void* raw_allocate(size_t bytes) override {
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
  void raw_deallocate(void* p) override { std::free(p); }

 private:
  Device device_;
};

}  // namespace

void* Allocator::allocate(size_t bytes) {
  const Device d = device();
  Counters& c = counters_of(d);
  void* p = raw_allocate(bytes);
  const int64_t n = accounted_bytes(d, bytes);
  const int64_t now = c.current.fetch_add(n, std::memory_order_relaxed) + n;
  int64_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak && !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  c.allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void Allocator::deallocate(void* p, size_t bytes) {
  const Device d = device();
  raw_deallocate(p);
  Counters& c = counters_of(d);
  c.current.fetch_sub(accounted_bytes(d, bytes), std::memory_order_relaxed);
  c.frees.fetch_add(1, std::memory_order_relaxed);
}

int64_t accounted_bytes(Device device, size_t bytes) {
  const size_t granule = device.is_cuda() ? 512 : 64;
  return static_cast<int64_t>((std::max<size_t>(bytes, 1) + granule - 1) / granule * granule);
}

MemoryStats memory_stats(Device device) {
  const Counters& c = counters_of(device);
  MemoryStats s;
  s.current_bytes = c.current.load(std::memory_order_relaxed);
  s.peak_bytes = std::max(c.peak.load(std::memory_order_relaxed), s.current_bytes);
  s.allocations = c.allocations.load(std::memory_order_relaxed);
  s.frees = c.frees.load(std::memory_order_relaxed);
#if STRATA_WITH_CUDA
  if (device.is_cuda())
    cuda::device_memory_info(device.index, &s.device_used_bytes, &s.device_total_bytes);
#endif
  return s;
}

void reset_peak_memory(Device device) {
  Counters& c = counters_of(device);
  c.peak.store(c.current.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

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
