// The CUDA step-value and accuracy ops (core/ops/step_values.h, accuracy.h) against the CPU ops,
// bit for bit: the window sums of a run of steps (the GAN's layout with 1 and 3 D steps, the
// autoencoder's), the non-finite record, the float sum, and the accuracy at edge and benchmark
// batch sizes with ties and NaN rows; each run twice (the same bits).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/memory.h"
#include "core/ops/accuracy.h"
#include "core/ops/step_values.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/step_values_test.h"

namespace strata {
namespace {

using gpu_test::device_nan;
using gpu_test::download;
using gpu_test::gpu;
using gpu_test::upload;
using test::same_bits;

// n doubles of device memory, freed with the object.
class DeviceDoubles {
 public:
  explicit DeviceDoubles(int64_t n) : n_(n) {
    p_ = static_cast<double*>(allocator_for(Device::cuda(0)).allocate(bytes()));
  }
  ~DeviceDoubles() { allocator_for(Device::cuda(0)).deallocate(p_, bytes()); }
  DeviceDoubles(const DeviceDoubles&) = delete;
  DeviceDoubles& operator=(const DeviceDoubles&) = delete;
  double* data() { return p_; }
  std::vector<double> read() const {
    std::vector<double> v(static_cast<size_t>(n_));
    copy_bytes(v.data(), Device::cpu(), p_, Device::cuda(0), bytes(), gpu().stream());
    return v;
  }

 private:
  size_t bytes() const { return static_cast<size_t>(n_) * sizeof(double); }
  int64_t n_;
  double* p_ = nullptr;
};

// Steps of slots with a non-finite value at step `bad` (slot bad_slot; -1: none), through the
// CUDA op and the CPU op; the whole accumulators must have the same bits.
std::vector<double> run_gpu(const StepValueLayout& l, int steps, int bad, int bad_slot) {
  DeviceDoubles acc(step_accumulator_size(l));
  clear_step_sums(gpu(), l, acc.data());
  for (int s = 0; s < steps; ++s) {
    std::vector<float> slots = test::step_slots(l.slots, 50 + static_cast<uint32_t>(s));
    if (s == bad) slots[static_cast<size_t>(bad_slot)] = std::numeric_limits<float>::quiet_NaN();
    const Tensor d = upload(slots);
    accumulate_step_values(gpu(), l, d.data(), 1 + (s * 37) % 129, 1000 + s, acc.data());
  }
  return acc.read();
}

std::vector<double> run_cpu(const StepValueLayout& l, int steps, int bad, int bad_slot) {
  std::vector<double> acc(static_cast<size_t>(step_accumulator_size(l)));
  clear_step_sums(cpu_backend(), l, acc.data());
  for (int s = 0; s < steps; ++s) {
    std::vector<float> slots = test::step_slots(l.slots, 50 + static_cast<uint32_t>(s));
    if (s == bad) slots[static_cast<size_t>(bad_slot)] = std::numeric_limits<float>::quiet_NaN();
    accumulate_step_values(cpu_backend(), l, slots.data(), 1 + (s * 37) % 129, 1000 + s,
                           acc.data());
  }
  return acc;
}

void expect_same(const std::vector<double>& got, const std::vector<double>& want,
                 const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(same_bits(got[i], want[i]) || (std::isnan(got[i]) && std::isnan(want[i])))
        << what << " at " << i << ": " << got[i] << " vs " << want[i];
}

TEST(StepValuesGpu, SumsAreTheCpuOpsBits) {
  const StepValueLayout layouts[] = {test::gan_layout(1), test::gan_layout(3),
                                     test::autoencoder_layout()};
  for (const StepValueLayout& l : layouts) {
    const std::vector<double> want = run_cpu(l, 60, -1, 0);
    expect_same(run_gpu(l, 60, -1, 0), want, "sums");
    expect_same(run_gpu(l, 60, -1, 0), want, "sums, second run");
    EXPECT_EQ(want[static_cast<size_t>(l.values)], -1.0);
  }
}

TEST(StepValuesGpu, RecordsTheFirstNonFiniteStepAndSlot) {
  const StepValueLayout l = test::gan_layout(3);
  const std::vector<double> want = run_cpu(l, 20, 7, 4);
  const std::vector<double> got = run_gpu(l, 20, 7, 4);
  expect_same(got, want, "accumulator");
  EXPECT_EQ(got[static_cast<size_t>(l.values)], 1007.0);
  EXPECT_EQ(got[static_cast<size_t>(l.values) + 1], 4.0);
  EXPECT_TRUE(std::isnan(got[static_cast<size_t>(l.values) + 2]));
  // Cleared on the device: sums 0, no record.
  DeviceDoubles acc(step_accumulator_size(l));
  clear_step_sums(gpu(), l, acc.data());
  const std::vector<double> cleared = acc.read();
  for (int i = 0; i < l.values; ++i) EXPECT_EQ(cleared[static_cast<size_t>(i)], 0.0);
  EXPECT_EQ(cleared[static_cast<size_t>(l.values)], -1.0);
}

TEST(StepValuesGpu, AddValuesIsTheFloatSum) {
  const std::vector<float> v = test::step_slots(2, 9);
  const Tensor d = upload(v);
  Tensor out = device_nan(1);
  add_values(gpu(), d.data(), d.data() + 1, out.data());
  EXPECT_EQ(download(out)[0], v[0] + v[1]);
}

TEST(AccuracyGpu, IsTheCpuOpsBits) {
  for (int64_t n : {1, 3, 64, 128, 257, 1000})
    for (int64_t k : {2, 4, 10}) {
      std::vector<float> logits(static_cast<size_t>(n * k)), labels(static_cast<size_t>(n));
      test::Lcg r(static_cast<uint32_t>(n * 31 + k), 7u);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t c = 0; c < k; ++c)  // four levels: many ties
          logits[static_cast<size_t>(i * k + c)] = std::floor(r.unit() * 4.0f) * 0.5f;
        if (i % 11 == 5) logits[static_cast<size_t>(i * k)] = std::nanf("");
        labels[static_cast<size_t>(i)] = std::floor(r.unit() * static_cast<float>(k) * 0.999f);
      }
      float want = -1;
      accuracy(cpu_backend(), n, k, logits.data(), labels.data(), &want);
      EXPECT_EQ(want, test::host_accuracy(logits, labels, n, k));
      const Tensor dl = upload(logits), dy = upload(labels);
      for (int run = 0; run < 2; ++run) {
        Tensor out = device_nan(1);
        accuracy(gpu(), n, k, dl.data(), dy.data(), out.data());
        EXPECT_EQ(download(out)[0], want) << n << " x " << k << ", run " << run;
      }
    }
}

}  // namespace
}  // namespace strata
