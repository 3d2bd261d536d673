// corrupt_mask / corrupt_gaussian: the documented stream per sample, about p of the values
// masked, and a sample's values independent of the batch it arrives in.
#include "core/ops/corruption.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace strata {
namespace {

constexpr int64_t kBatch = 6, kPer = 37;

std::vector<float> ramp(int64_t n) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 0.25f + 0.01f * static_cast<float>(i);
  return v;
}

CorruptionArgs corruption_args(int64_t first, int64_t batch) {
  CorruptionArgs a;
  a.seed = 11;
  a.step = 3;
  a.first_sample = first;
  a.batch = batch;
  a.per_sample = kPer;
  return a;
}

TEST(CorruptionOp, MaskZeroesAboutPAndFollowsItsStream) {
  const std::vector<float> x = ramp(kBatch * kPer);
  std::vector<float> y(x.size(), std::nanf(""));
  corrupt_mask(cpu_backend(), corruption_args(10, kBatch), 0.3f, x.data(), y.data());
  int64_t zeros = 0;
  for (int64_t i = 0; i < kBatch; ++i) {
    RandomStream rng(11, RngPurpose::kCorruption, 0u, 3, static_cast<uint64_t>(10 + i));
    for (int64_t j = 0; j < kPer; ++j) {
      const int64_t k = i * kPer + j;
      const float want = rng.uniform() < 0.3f ? 0.0f : x[k];
      ASSERT_EQ(y[k], want) << "sample " << i << " value " << j;
      zeros += y[k] == 0.0f;
    }
  }
  EXPECT_GT(zeros, kBatch * kPer / 10);
  EXPECT_LT(zeros, kBatch * kPer / 2);
}

TEST(CorruptionOp, SplitBatchesGiveTheWholeBatchsValues) {
  const std::vector<float> x = ramp(kBatch * kPer);
  for (const bool mask : {true, false}) {
    std::vector<float> whole(x.size()), parts(x.size());
    auto run = [&](int64_t first, int64_t batch, const float* in, float* out) {
      if (mask)
        corrupt_mask(cpu_backend(), corruption_args(first, batch), 0.5f, in, out);
      else
        corrupt_gaussian(cpu_backend(), corruption_args(first, batch), 0.1f, in, out);
    };
    run(20, kBatch, x.data(), whole.data());
    run(20, 2, x.data(), parts.data());
    run(22, kBatch - 2, x.data() + 2 * kPer, parts.data() + 2 * kPer);
    EXPECT_EQ(whole, parts) << (mask ? "mask" : "gaussian");
    EXPECT_NE(whole, x);
  }
}

}  // namespace
}  // namespace strata
