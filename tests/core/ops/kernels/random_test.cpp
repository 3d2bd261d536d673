// The random ops' CUDA bodies, run on the CPU as their launches would run them (one call per
// sample; the normals in two launches, even then odd values), give the CPU ops' values bit for
// bit: dropout masks and outputs, corruption masks, and on the host the normals too. Batches of
// 1, 3 and 256, per-sample sizes around the Philox block of four words and the benchmarks' 784.
#include "core/ops/kernels/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/ops/corruption.h"
#include "core/ops/dropout.h"
#include "core/ops/normal_draw.h"
#include "tests/support/emulate_launch.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

using test::same_bits;  // NaN left where the CPU wrote a value fails too

const int64_t kBatches[] = {1, 3, 256};
const int64_t kPerSample[] = {1, 2, 3, 4, 5, 7, 8, 9, 100, 784, 1001};

std::vector<float> wave(int64_t n, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * static_cast<float>(i) + 0.1f);
  return v;
}

std::vector<float> nans(int64_t n) {
  return std::vector<float>(static_cast<size_t>(n), NAN);
}

TEST(RandomBodies, DropoutForwardEqualsTheCpuOp) {
  for (float rate : {0.0f, 0.3f, 0.5f, 0.9f})
    for (int64_t batch : kBatches)
      for (int64_t per : kPerSample) {
        const DropoutArgs a{.rate = rate,
                            .seed = 0x5eedull,
                            .step = (uint64_t{3} << 32) + 17,  // a step past 2^32
                            .layer = 2,
                            .first_sample = 1000003,
                            .batch = batch,
                            .per_sample = per};
        const int64_t n = batch * per;
        const std::vector<float> x = wave(n, 2.0f);
        std::vector<float> y_cpu = nans(n), m_cpu = nans(n), y_body = nans(n), m_body = nans(n);
        dropout_forward(cpu_backend(), a, x.data(), y_cpu.data(), m_cpu.data());
        const std::vector<int> visits = test::emulate_grid_stride(
            batch, dropout_forward_body(a, x.data(), y_body.data(), m_body.data()));
        const std::string what = "rate " + std::to_string(rate) + ", batch " +
                                 std::to_string(batch) + ", per sample " + std::to_string(per);
        ASSERT_TRUE(test::each_once(visits)) << what;
        ASSERT_TRUE(same_bits(m_body, m_cpu, "mask, " + what));
        ASSERT_TRUE(same_bits(y_body, y_cpu, "y, " + what));
      }
}

// Control: the comparison above is not vacuous - the masks have both values, and the next
// sample's stream gives another mask.
TEST(RandomBodies, DropoutMasksDependOnTheSample) {
  DropoutArgs a{.rate = 0.5f, .seed = 7, .batch = 1, .per_sample = 784};
  const std::vector<float> x = wave(784, 1.0f);
  std::vector<float> y(784), m0(784), m1(784);
  test::emulate_grid_stride(1, dropout_forward_body(a, x.data(), y.data(), m0.data()));
  a.first_sample = 1;
  test::emulate_grid_stride(1, dropout_forward_body(a, x.data(), y.data(), m1.data()));
  int zeros = 0, differ = 0;
  for (int i = 0; i < 784; ++i) {
    zeros += m0[i] == 0.0f;
    differ += m0[i] != m1[i];
  }
  EXPECT_GT(zeros, 300);
  EXPECT_LT(zeros, 484);
  EXPECT_GT(differ, 300);
}

TEST(RandomBodies, DropoutBackwardEqualsTheCpuOp) {
  for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{257}, int64_t{256} * 784 + 3}) {
    const std::vector<float> dy = wave(n, 1.5f);
    std::vector<float> mask(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) mask[i] = i % 3 == 0 ? 0.0f : 1.0f / 0.7f;
    std::vector<float> dx_cpu = nans(n), dx_body = nans(n);
    dropout_backward(cpu_backend(), dy.data(), mask.data(), dx_cpu.data(), n);
    test::emulate_grid_stride(n, DropoutBackwardBody{dy.data(), mask.data(), dx_body.data()});
    ASSERT_TRUE(same_bits(dx_body, dx_cpu, "dx, n " + std::to_string(n)));
  }
}

CorruptionArgs corruption_args(int64_t batch, int64_t per) {
  return {
      .seed = 0xc0ffeeull, .step = 12345, .first_sample = 77, .batch = batch, .per_sample = per};
}

TEST(RandomBodies, CorruptMaskEqualsTheCpuOp) {
  for (float p : {0.0f, 0.3f, 1.0f})
    for (int64_t batch : kBatches)
      for (int64_t per : kPerSample) {
        const CorruptionArgs a = corruption_args(batch, per);
        const int64_t n = batch * per;
        const std::vector<float> x = wave(n, 1.0f);
        std::vector<float> y_cpu = nans(n), y_body = nans(n);
        corrupt_mask(cpu_backend(), a, p, x.data(), y_cpu.data());
        const std::vector<int> visits =
            test::emulate_grid_stride(batch, CorruptMaskBody{a, p, x.data(), y_body.data()});
        const std::string what = "p " + std::to_string(p) + ", batch " + std::to_string(batch) +
                                 ", per sample " + std::to_string(per);
        ASSERT_TRUE(test::each_once(visits)) << what;
        ASSERT_TRUE(same_bits(y_body, y_cpu, what));
      }
}

TEST(RandomBodies, CorruptGaussianEqualsTheCpuOpOnTheHost) {
  for (int64_t batch : kBatches)
    for (int64_t per : kPerSample) {
      const CorruptionArgs a = corruption_args(batch, per);
      const int64_t n = batch * per;
      const std::vector<float> x = wave(n, 1.0f);
      std::vector<float> y_cpu = nans(n), y_body = nans(n);
      corrupt_gaussian(cpu_backend(), a, 0.25f, x.data(), y_cpu.data());
      const std::vector<int> even = test::emulate_grid_stride(
          batch, CorruptGaussianBody<NormalHalf::kEven>{a, 0.25f, x.data(), y_body.data()});
      const std::vector<int> odd = test::emulate_grid_stride(
          batch, CorruptGaussianBody<NormalHalf::kOdd>{a, 0.25f, x.data(), y_body.data()});
      const std::string what =
          "batch " + std::to_string(batch) + ", per sample " + std::to_string(per);
      ASSERT_TRUE(test::each_once(even)) << what;
      ASSERT_TRUE(test::each_once(odd)) << what;
      ASSERT_TRUE(same_bits(y_body, y_cpu, what));
    }
}

TEST(RandomBodies, NormalDrawEqualsTheCpuOpOnTheHost) {
  for (RngPurpose purpose : {RngPurpose::kLatent, RngPurpose::kTest})
    for (int64_t batch : kBatches)
      for (int64_t per : kPerSample) {
        const NormalDrawArgs a{.seed = 42,
                               .step = 9,
                               .purpose = purpose,
                               .index = 1,
                               .first_sample = 256,
                               .batch = batch,
                               .per_sample = per};
        const int64_t n = batch * per;
        std::vector<float> z_cpu = nans(n), z_body = nans(n);
        normal_draw(cpu_backend(), a, z_cpu.data());
        // The even values alone first: the odd ones are not written by that launch.
        test::emulate_grid_stride(batch, NormalDrawBody<NormalHalf::kEven>{a, z_body.data()});
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(std::isnan(z_body[i]), (i % per) % 2 == 1) << "even half, index " << i;
        test::emulate_grid_stride(batch, NormalDrawBody<NormalHalf::kOdd>{a, z_body.data()});
        ASSERT_TRUE(same_bits(z_body, z_cpu,
                              "batch " + std::to_string(batch) + ", per " + std::to_string(per)));
      }
}

// A step captured as a CUDA graph reads its step and first sample from a counter in device
// memory (core/ops/step_counter.h): the bodies and the CPU ops given a counter draw exactly what
// they draw given the same values as arguments, and the counter overrides the arguments.
TEST(RandomBodies, TheStepCounterKeysTheDrawsLikeTheArguments) {
  const int64_t batch = 3, per = 9, n = batch * per;
  const std::vector<float> x = wave(n, 1.5f);
  StepCounter counter;
  set_step_counter(cpu_backend(), &counter, 41, 5000);

  DropoutArgs by_args{.rate = 0.4f,
                      .seed = 7,
                      .step = 41,
                      .layer = 1,
                      .first_sample = 5000,
                      .batch = batch,
                      .per_sample = per};
  DropoutArgs by_counter = by_args;
  by_counter.step = 999;  // overridden by the counter
  by_counter.first_sample = -1;
  by_counter.counter = &counter;
  std::vector<float> y_args = nans(n), m_args = nans(n), y_ctr = nans(n), m_ctr = nans(n);
  std::vector<float> y_cpu = nans(n), m_cpu = nans(n);
  test::emulate_grid_stride(batch,
                            dropout_forward_body(by_args, x.data(), y_args.data(), m_args.data()));
  test::emulate_grid_stride(batch,
                            dropout_forward_body(by_counter, x.data(), y_ctr.data(), m_ctr.data()));
  dropout_forward(cpu_backend(), by_counter, x.data(), y_cpu.data(), m_cpu.data());
  EXPECT_TRUE(same_bits(m_ctr, m_args, "dropout mask, counter vs arguments"));
  EXPECT_TRUE(same_bits(m_cpu, m_args, "dropout mask, CPU op with the counter"));

  CorruptionArgs c_args{
      .seed = 7, .step = 41, .first_sample = 5000, .batch = batch, .per_sample = per};
  CorruptionArgs c_ctr = c_args;
  c_ctr.step = 0;
  c_ctr.first_sample = 0;
  c_ctr.counter = &counter;
  std::vector<float> mask_args = nans(n), mask_ctr = nans(n);
  corrupt_mask(cpu_backend(), c_args, 0.3f, x.data(), mask_args.data());
  corrupt_mask(cpu_backend(), c_ctr, 0.3f, x.data(), mask_ctr.data());
  EXPECT_TRUE(same_bits(mask_ctr, mask_args, "corruption, counter vs arguments"));

  NormalDrawArgs z_args;
  z_args.seed = 7;
  z_args.step = 41;
  z_args.first_sample = 5000;
  z_args.batch = batch;
  z_args.per_sample = per;
  NormalDrawArgs z_ctr = z_args;
  z_ctr.step = 3;
  z_ctr.counter = &counter;
  std::vector<float> z1 = nans(n), z2 = nans(n);
  normal_draw(cpu_backend(), z_args, z1.data());
  normal_draw(cpu_backend(), z_ctr, z2.data());
  EXPECT_TRUE(same_bits(z2, z1, "latents, counter vs arguments"));

  // The next step's counter draws other values: the replayed step does not repeat its draws.
  set_step_counter(cpu_backend(), &counter, 42, 5000);
  std::vector<float> z3 = nans(n);
  normal_draw(cpu_backend(), z_ctr, z3.data());
  EXPECT_NE(z3, z1);
}

}  // namespace
}  // namespace strata
