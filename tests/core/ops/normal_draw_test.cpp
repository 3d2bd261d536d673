// normal_draw: the documented stream per sample, independent of the batch it arrives in.
#include "core/ops/normal_draw.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.h"

namespace strata {
namespace {

constexpr int64_t kBatch = 6, kPer = 37;

TEST(NormalDrawOp, FollowsItsStreamWhateverTheSplit) {
  NormalDrawArgs a;
  a.seed = 5;
  a.step = 9;
  a.index = 2;
  a.first_sample = 4;
  a.batch = kBatch;
  a.per_sample = kPer;
  std::vector<float> z(kBatch * kPer, std::nanf(""));
  normal_draw(cpu_backend(), a, z.data());
  double sum = 0.0;
  for (int64_t i = 0; i < kBatch; ++i) {
    RandomStream rng(5, RngPurpose::kLatent, 2u, 9, static_cast<uint64_t>(4 + i));
    for (int64_t j = 0; j < kPer; ++j) ASSERT_EQ(z[i * kPer + j], rng.normal());
  }
  for (const float v : z) sum += v;
  EXPECT_LT(std::fabs(sum / static_cast<double>(z.size())), 0.3);
  NormalDrawArgs tail = a;
  tail.first_sample = 7;
  tail.batch = 3;
  std::vector<float> part(3 * kPer);
  normal_draw(cpu_backend(), tail, part.data());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), z.begin() + 3 * kPer));
}

}  // namespace
}  // namespace strata
