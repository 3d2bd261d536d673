// The per-device memory counters of core/memory.h: every allocation and free of the CPU and the
// emulated device is counted, in accounted bytes, with the peak; a reset starts a new peak; the
// counts stay exact when threads allocate at once.
#include "core/memory.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/tensor.h"

namespace strata {
namespace {

TEST(Memory, AccountedBytesRoundUpToTheAllocatorsGranularity) {
  for (Device host : {Device::cpu(), Device::emulated()}) {
    EXPECT_EQ(accounted_bytes(host, 0), 64);
    EXPECT_EQ(accounted_bytes(host, 1), 64);
    EXPECT_EQ(accounted_bytes(host, 64), 64);
    EXPECT_EQ(accounted_bytes(host, 65), 128);
  }
  EXPECT_EQ(accounted_bytes(Device::cuda(0), 4), 512);
  EXPECT_EQ(accounted_bytes(Device::cuda(0), 512), 512);
  EXPECT_EQ(accounted_bytes(Device::cuda(0), 513), 1024);
}

void expect_exact_counts(Device d) {
  const MemoryStats start = memory_stats(d);
  reset_peak_memory(d);
  EXPECT_EQ(memory_stats(d).peak_bytes, start.current_bytes);
  const int64_t a = accounted_bytes(d, 10 * sizeof(float));
  const int64_t b = accounted_bytes(d, 1000 * sizeof(float));
  {
    Tensor small(Shape{10}, d);
    {
      Tensor big(Shape{1000}, d);
      const MemoryStats s = memory_stats(d);
      EXPECT_EQ(s.current_bytes - start.current_bytes, a + b);
      EXPECT_EQ(s.allocations - start.allocations, 2);
      EXPECT_EQ(s.frees - start.frees, 0);
    }
    const MemoryStats s = memory_stats(d);
    EXPECT_EQ(s.current_bytes - start.current_bytes, a);
    EXPECT_EQ(s.peak_bytes - start.current_bytes, a + b);
    EXPECT_EQ(s.frees - start.frees, 1);
    const Tensor view = Tensor::view(small.data(), Shape{5}, d);  // a view allocates nothing
    EXPECT_EQ(view.data(), small.data());
    EXPECT_EQ(memory_stats(d).allocations - start.allocations, 2);
    small.resize(Shape{8});  // fits: no reallocation
    EXPECT_EQ(memory_stats(d).allocations - start.allocations, 2);
  }
  const MemoryStats end = memory_stats(d);
  EXPECT_EQ(end.current_bytes, start.current_bytes);
  EXPECT_EQ(end.peak_bytes - start.current_bytes, a + b);
  EXPECT_EQ(end.allocations - start.allocations, 2);
  EXPECT_EQ(end.frees - start.frees, 2);
  EXPECT_EQ(end.device_used_bytes, -1);  // only CUDA devices report cudaMemGetInfo
  reset_peak_memory(d);
  EXPECT_EQ(memory_stats(d).peak_bytes, end.current_bytes);
}

TEST(Memory, CountsAllocationsFreesAndThePeakOnTheCpu) {
  expect_exact_counts(Device::cpu());
}

TEST(Memory, CountsAllocationsFreesAndThePeakOnTheEmulatedDevice) {
  expect_exact_counts(Device::emulated());
}

TEST(Memory, DevicesAreCountedApart) {
  const MemoryStats cpu = memory_stats(Device::cpu());
  Tensor t(Shape{100}, Device::emulated());
  EXPECT_EQ(memory_stats(Device::cpu()).current_bytes, cpu.current_bytes);
  EXPECT_EQ(memory_stats(Device::cpu()).allocations, cpu.allocations);
}

TEST(Memory, ExactWhenThreadsAllocateAtOnce) {
  const Device d = Device::emulated();
  reset_peak_memory(d);
  const MemoryStats start = memory_stats(d);
  constexpr int kThreads = 4, kRounds = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([t, d] {
      for (int r = 0; r < kRounds; ++r) Tensor x(Shape{16 * (t + 1) + r % 3}, d);
    });
  for (std::thread& t : threads) t.join();
  const MemoryStats end = memory_stats(d);
  EXPECT_EQ(end.current_bytes, start.current_bytes);
  EXPECT_EQ(end.allocations - start.allocations, kThreads * kRounds);
  EXPECT_EQ(end.frees - start.frees, kThreads * kRounds);
  // At most every thread's largest tensor at once, at least the largest one.
  EXPECT_GE(end.peak_bytes - start.current_bytes, accounted_bytes(d, (16 * kThreads + 2) * 4));
  int64_t all = 0;
  for (int t = 0; t < kThreads; ++t) all += accounted_bytes(d, (16 * (t + 1) + 2) * 4);
  EXPECT_LE(end.peak_bytes - start.current_bytes, all);
}

}  // namespace
}  // namespace strata
