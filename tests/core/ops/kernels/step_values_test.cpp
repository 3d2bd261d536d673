// The step-value ops on the CPU and their kernel bodies (core/ops/step_values.h, accuracy.h) run as
// their launches run them, against the arithmetic the loop used when it read every step's values
// back (step_values_test.h): the window sums bit for bit, the non-finite record (the first step
// and slot, then kept), the float sum, and the accuracy with its ties and NaN rows.
#include "core/ops/step_values.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/ops/accuracy.h"
#include "core/ops/kernels/accuracy.h"
#include "core/ops/kernels/block_sum.h"
#include "core/ops/kernels/step_values.h"
#include "tests/core/ops/kernels/step_values_test.h"
#include "tests/support/emulate_launch.h"

namespace strata {
namespace {

using namespace test;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Runs `steps` steps of random slots through the CPU op and through the kernel body (emulated
// launch), and through the host reference; all three sums must have the same bits.
void expect_sums_match(const StepValueLayout& l, int steps, uint32_t seed) {
  std::vector<double> op(static_cast<size_t>(step_accumulator_size(l)), 7.0);
  std::vector<double> body = op;
  std::vector<double> want(static_cast<size_t>(l.values), 0.0);
  clear_step_sums(cpu_backend(), l, op.data());
  ASSERT_TRUE(each_once(
      emulate_grid_stride(step_accumulator_size(l), ClearStepSumsBody{l.values, body.data()})));
  for (int s = 0; s < steps; ++s) {
    const std::vector<float> slots = step_slots(l.slots, seed + static_cast<uint32_t>(s));
    const int64_t n = 1 + (s * 37) % 129;  // uneven rank shares
    accumulate_step_values(cpu_backend(), l, slots.data(), n, 100 + s, op.data());
    ASSERT_TRUE(each_once(
        emulate_grid_stride(1, AccumulateStepValuesBody{l, slots.data(), static_cast<double>(n),
                                                        100.0 + s, body.data()})));
    host_accumulate(want, host_step_values(l, slots), n);
  }
  for (int i = 0; i < l.values; ++i) {
    EXPECT_TRUE(same_bits(op[static_cast<size_t>(i)], want[static_cast<size_t>(i)]))
        << "value " << i << ": " << op[static_cast<size_t>(i)] << " vs "
        << want[static_cast<size_t>(i)];
    EXPECT_TRUE(same_bits(body[static_cast<size_t>(i)], want[static_cast<size_t>(i)])) << i;
  }
  EXPECT_EQ(op[static_cast<size_t>(l.values)], -1.0) << "no non-finite step";
  EXPECT_EQ(body[static_cast<size_t>(l.values)], -1.0);
}

TEST(StepValuesKernels, SumsAreTheHostArithmeticBitForBit) {
  expect_sums_match(autoencoder_layout(), 50, 1);
  for (int k : {1, 2, 3, 7}) expect_sums_match(gan_layout(k), 40, 10 + static_cast<uint32_t>(k));
  StepValueLayout one;  // a single value of one slot
  one.values = one.slots = 1;
  one.count[0] = 1;
  expect_sums_match(one, 200, 99);
}

// The control: a fused multiply-add would change these sums, so the test above is not vacuous.
// (A float times a sample count is exact in double; a mean over 3 D steps times it is not.)
TEST(StepValuesKernels, AFusedMultiplyAddWouldDiffer) {
  const StepValueLayout l = gan_layout(3);
  int differ = 0;
  std::vector<double> plain(4, 0.0), fused(4, 0.0);
  for (int s = 0; s < 40; ++s) {
    const std::vector<double> v = host_step_values(l, step_slots(l.slots, 13 + s));
    const int64_t n = 1 + (s * 37) % 129;
    for (size_t i = 0; i < 4; ++i) {
      plain[i] += v[i] * static_cast<double>(n);
      fused[i] = std::fma(v[i], static_cast<double>(n), fused[i]);
      differ += same_bits(plain[i], fused[i]) ? 0 : 1;
    }
  }
  EXPECT_GT(differ, 0);
}

TEST(StepValuesKernels, RecordsTheFirstNonFiniteStepAndSlotAndKeepsIt) {
  const StepValueLayout l = gan_layout(2);  // 7 slots
  std::vector<double> acc(static_cast<size_t>(step_accumulator_size(l)));
  clear_step_sums(cpu_backend(), l, acc.data());
  const size_t rec = static_cast<size_t>(l.values);
  std::vector<float> slots = step_slots(l.slots, 3);
  accumulate_step_values(cpu_backend(), l, slots.data(), 4, 10, acc.data());
  EXPECT_EQ(acc[rec], -1.0);
  slots[5] = kInf;  // d_real of D step 1
  slots[6] = kNaN;
  accumulate_step_values(cpu_backend(), l, slots.data(), 4, 11, acc.data());
  EXPECT_EQ(acc[rec], 11.0);
  EXPECT_EQ(acc[rec + 1], 5.0) << "the first bad slot";
  EXPECT_EQ(acc[rec + 2], static_cast<double>(kInf));
  slots = step_slots(l.slots, 4);
  slots[0] = kNaN;
  accumulate_step_values(cpu_backend(), l, slots.data(), 4, 12, acc.data());
  EXPECT_EQ(acc[rec], 11.0) << "the first step is kept";
  EXPECT_EQ(acc[rec + 1], 5.0);
  EXPECT_TRUE(std::isnan(acc[0])) << "d_loss's sum has the NaN";
  clear_step_sums(cpu_backend(), l, acc.data());
  for (int i = 0; i < l.values; ++i) EXPECT_EQ(acc[static_cast<size_t>(i)], 0.0);
  EXPECT_EQ(acc[rec], -1.0);
  // NaN, +inf and -inf are each found; the largest finite float and denormals are not.
  for (float bad : {kNaN, kInf, -kInf}) EXPECT_FALSE(finite_value(bad)) << bad;
  for (float good : {0.0f, -0.0f, 1e-45f, std::numeric_limits<float>::max(), -3.5f})
    EXPECT_TRUE(finite_value(good)) << good;
}

TEST(StepValuesKernels, AddValuesIsTheFloatSum) {
  const std::vector<float> v = step_slots(64, 8);
  for (size_t i = 0; i + 1 < v.size(); i += 2) {
    float got = 0, body = 0;
    add_values(cpu_backend(), &v[i], &v[i + 1], &got);
    AddValuesBody{&v[i], &v[i + 1], &body}(0);
    const float want = v[i] + v[i + 1];
    EXPECT_EQ(got, want);
    EXPECT_EQ(body, want);
  }
}

// Logits with ties (a row's maximum twice), constant rows, NaN in front and behind, and labels
// that are right for some rows; the same for the same seed.
void accuracy_case(int64_t n, int64_t k, uint32_t seed, std::vector<float>& logits,
                   std::vector<float>& labels) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(0, 3), cls(0, static_cast<int>(k) - 1);
  logits.assign(static_cast<size_t>(n * k), 0.0f);
  labels.assign(static_cast<size_t>(n), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    float* row = logits.data() + i * k;
    for (int64_t c = 0; c < k; ++c) row[c] = static_cast<float>(level(rng)) * 0.5f;  // many ties
    if (i % 11 == 5) row[0] = kNaN;
    if (i % 13 == 7) row[k - 1] = kNaN;
    labels[static_cast<size_t>(i)] = static_cast<float>(cls(rng));
  }
}

TEST(AccuracyKernels, CpuOpAndBodyAreTheHostAccuracy) {
  for (int64_t n : {1, 3, 16, 257, 1000})
    for (int64_t k : {1, 2, 4, 10}) {
      std::vector<float> logits, labels;
      accuracy_case(n, k, static_cast<uint32_t>(n * 31 + k), logits, labels);
      const float want = host_accuracy(logits, labels, n, k);
      float got = -1;
      accuracy(cpu_backend(), n, k, logits.data(), labels.data(), &got);
      EXPECT_EQ(got, want) << n << " x " << k;
      const float body =
          AccuracyFinish{n}(block_sum_on_host(n, AccuracyTerm{logits.data(), labels.data(), k}));
      EXPECT_EQ(body, want) << n << " x " << k;
    }
}

TEST(AccuracyKernels, TheFirstOfEqualMaximaWins) {
  const std::vector<float> logits = {1,    3, 3,    0,   // tie of 1 and 2: class 1
                                     2,    2, 2,    2,   // all equal: class 0
                                     kNaN, 5, 1,    9,   // a NaN in front stays the choice
                                     0,    4, kNaN, 4};  // NaN is never larger: class 1
  EXPECT_EQ(row_argmax(logits.data(), 4), 1);
  EXPECT_EQ(row_argmax(logits.data() + 4, 4), 0);
  EXPECT_EQ(row_argmax(logits.data() + 8, 4), 0);
  EXPECT_EQ(row_argmax(logits.data() + 12, 4), 1);
  const std::vector<float> labels = {1, 0, 3, 3};
  float got = -1;
  accuracy(cpu_backend(), 4, 4, logits.data(), labels.data(), &got);
  EXPECT_EQ(got, 0.5f);
  EXPECT_EQ(got, host_accuracy(logits, labels, 4, 4));
}

}  // namespace
}  // namespace strata
