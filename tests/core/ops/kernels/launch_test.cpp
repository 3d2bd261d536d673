// The grid-stride launch geometry: every index visited exactly once, within CUDA's limits, and
// nothing launched for an empty range.
#include "core/ops/kernels/launch.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "tests/support/emulate_launch.h"

namespace strata {
namespace {

TEST(GridStrideLaunch, NothingForAnEmptyRange) {
  EXPECT_EQ(grid_stride_launch(0).blocks, 0u);
  EXPECT_EQ(grid_stride_launch(-3).blocks, 0u);
}

TEST(GridStrideLaunch, WithinCudaLimits) {
  for (int64_t n :
       {int64_t{1}, int64_t{255}, int64_t{256}, int64_t{257}, int64_t{1} << 31, int64_t{5} << 32}) {
    const Launch l = grid_stride_launch(n);
    EXPECT_GE(l.blocks, 1u) << n;
    EXPECT_LE(l.blocks, kMaxBlocks) << n;
    EXPECT_LE(l.threads, 1024u) << n;                                           // threads per block
    EXPECT_EQ(l.threads % 32, 0u) << n;                                         // whole warps
    EXPECT_LE(int64_t{l.blocks} * l.threads - n, int64_t{l.threads} - 1) << n;  // no idle block
  }
}

TEST(GridStrideLaunch, VisitsEveryIndexOnce) {
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{256}, int64_t{1000}, int64_t{256} * 8192 + 5}) {
    const auto visits = test::emulate_grid_stride(n, [](int64_t) {});
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(visits[i], 1) << "n " << n << " index " << i;
  }
}

}  // namespace
}  // namespace strata
