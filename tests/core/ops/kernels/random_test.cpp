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

}  // namespace
}  // namespace strata
