#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"

namespace strata {
namespace {

// Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
TEST(Philox, KnownAnswers) {
  EXPECT_EQ(philox4x32(0, {0, 0, 0, 0}), (Philox4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32(0xffffffffffffffffull, {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}),
            (Philox4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32(0x299f31d0a4093822ull, {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}),
            (Philox4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(RandomStream, SameTupleSameDraws) {
  RandomStream a(7, RngPurpose::kDropout, 2, 100, 12345), b(7, RngPurpose::kDropout, 2, 100, 12345);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.next_u32(), b.next_u32());
}

TEST(RandomStream, EachKeyPartChangesTheStream) {
  auto first = [](RandomStream r) { return r.next_u32(); };
  const uint32_t base = first(RandomStream(7, RngPurpose::kDropout, 2, 100, 5));
  EXPECT_NE(base, first(RandomStream(8, RngPurpose::kDropout, 2, 100, 5)));
  EXPECT_NE(base, first(RandomStream(7, RngPurpose::kLatent, 2, 100, 5)));
  EXPECT_NE(base, first(RandomStream(7, RngPurpose::kDropout, 3, 100, 5)));
  EXPECT_NE(base, first(RandomStream(7, RngPurpose::kDropout, 2, 101, 5)));
  EXPECT_NE(base, first(RandomStream(7, RngPurpose::kDropout, 2, 100, 6)));
  EXPECT_NE(base, first(RandomStream(7, RngPurpose::kDropout, 2, 100 + (1ull << 32), 5)));
}

TEST(RandomStream, UniformAndNormalMoments) {
  RandomStream r(1, RngPurpose::kTest, 0, 0, 0);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const float u = r.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    su += u;
    const float z = r.normal();
    ASSERT_TRUE(std::isfinite(z));
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
}

}  // namespace
}  // namespace strata
