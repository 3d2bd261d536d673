// The CUDA pooling kernels' bodies (core/ops/kernels/pooling.h), run on the CPU as their launch
// would run them, give the CPU ops' values bit for bit (pooling.cpp): maxpool2d forward (values
// and argmax: ties, NaN, -inf, padding) and backward (overlapping windows, so inputs that several
// outputs pick), upsample2d forward and backward, at odd and typical sizes.
#include "core/ops/kernels/pooling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/ops/pooling.h"
#include "tests/core/ops/kernels/pooling_cases.h"
#include "tests/support/emulate_launch.h"
#include "tests/support/float_compare.h"
#include "tests/support/lcg.h"

namespace strata {
namespace {

using test::name;
using test::pool;
using test::same_bits;

// n values, multiples of 1/8 in [-2, 2] (many ties within a window), the same for the same seed.
std::vector<float> tied_values(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  test::Lcg r(seed, 99u);
  for (auto& x : v) x = 0.125f * static_cast<float>(static_cast<int>(r.next() >> 27) - 16);
  return v;
}

// n values in [-1, 1] with few ties.
std::vector<float> smooth_values(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  test::Lcg r(seed, 5u);
  for (auto& x : v) x = r.unit() * 2.0f - 1.0f;
  return v;
}

TEST(PoolingKernels, WindowsHoldingAnInputAreExactlyThoseThatCoverIt) {
  for (int64_t k : {1, 2, 3, 5})
    for (int64_t s : {1, 2, 3, 4})
      for (int64_t p = 0; p <= k / 2; ++p)
        for (int64_t h : {1, 4, 7, 12}) {
          if (h + 2 * p < k) continue;
          const int64_t outs = (h + 2 * p - k) / s + 1;
          for (int64_t q = 0; q < h; ++q) {
            const PoolWindowRange r = pool_windows_holding(q, k, s, p, outs);
            for (int64_t o = 0; o < outs; ++o) {
              const bool covers = o * s - p <= q && q < o * s - p + k;
              ASSERT_EQ(covers, o >= r.lo && o <= r.hi) << "k " << k << " s " << s << " p " << p
                                                        << " h " << h << " q " << q << " o " << o;
            }
          }
        }
}

TEST(PoolingKernels, MaxPoolIsTheCpuOpBitForBit) {
  // Batch 32 for the typical layers (the GPU test runs 256): the emulated launches are slow.
  for (const PoolDims& d : test::pool_cases(32))
    for (int inputs = 0; inputs < 3; ++inputs) {
      const int64_t nin = d.planes * d.h * d.w, nout = d.planes * d.out_h * d.out_w;
      std::vector<float> x = inputs == 1 ? smooth_values(nin, 1) : tied_values(nin, 2);
      if (inputs == 2) {  // NaN (single and several in a window), -inf, -0.0 and 0.0
        for (int64_t i = 0; i < nin; i += 7) x[i] = std::nanf("");
        for (int64_t i = 3; i < nin; i += 11) x[i] = -std::numeric_limits<float>::infinity();
        for (int64_t i = 5; i < nin; i += 13) x[i] = (i % 2) ? -0.0f : 0.0f;
      }
      const std::string at = name(d) + " inputs " + std::to_string(inputs);
      std::vector<float> y_cpu(nout), y_emu(nout, std::nanf(""));
      std::vector<int32_t> am_cpu(nout), am_emu(nout, -1);
      maxpool2d_forward(cpu_backend(), d, x.data(), y_cpu.data(), am_cpu.data());
      ASSERT_TRUE(test::emulate_each_once(
          nout, MaxPoolForwardBody{d, x.data(), y_emu.data(), am_emu.data()}));
      EXPECT_TRUE(same_bits(y_emu, y_cpu, "y " + at));
      EXPECT_TRUE(same_bits(am_emu, am_cpu, "argmax " + at));

      // Backward from the CPU's argmax, dy with distinct magnitudes so the order of the sums
      // shows; and a dy of 1s, so that the count of outputs each input receives shows.
      for (const std::vector<float>& dy :
           {smooth_values(nout, 3), std::vector<float>(static_cast<size_t>(nout), 1.0f)}) {
        std::vector<float> dx_cpu(nin), dx_emu(nin, std::nanf(""));
        maxpool2d_backward(cpu_backend(), d, dy.data(), am_cpu.data(), dx_cpu.data());
        ASSERT_TRUE(test::emulate_each_once(
            nin, MaxPoolBackwardBody{d, dy.data(), am_cpu.data(), dx_emu.data()}));
        EXPECT_TRUE(same_bits(dx_emu, dx_cpu, "dx " + at));
      }
    }
}

// Several outputs picking the same input (stride 1, a plane whose maximum lies in many windows):
// the gathered sum adds them in the CPU's order, so even values whose sum depends on the order
// agree bit for bit.
TEST(PoolingKernels, MaxPoolBackwardSumsOverlappingPicksInTheCpusOrder) {
  const test::OverlappingPicks c;
  const PoolDims& d = c.d;
  const int64_t nin = d.planes * d.h * d.w, nout = d.planes * d.out_h * d.out_w;
  std::vector<float> y(nout);
  std::vector<int32_t> am(nout);
  maxpool2d_forward(cpu_backend(), d, c.x.data(), y.data(), am.data());
  std::vector<float> dx_cpu(nin), dx_emu(nin, std::nanf(""));
  maxpool2d_backward(cpu_backend(), d, c.dy.data(), am.data(), dx_cpu.data());
  ASSERT_TRUE(
      test::emulate_each_once(nin, MaxPoolBackwardBody{d, c.dy.data(), am.data(), dx_emu.data()}));
  EXPECT_TRUE(same_bits(dx_emu, dx_cpu, "dx"));
  int picks = 0;
  for (int64_t k = 0; k < d.out_h * d.out_w; ++k) picks += am[k] == c.centre;
  EXPECT_EQ(picks, 25);
}

TEST(PoolingKernels, UpsampleIsTheCpuOpBitForBit) {
  for (const UpsampleDims& d : test::upsample_cases()) {
    const int64_t nin = d.planes * d.h * d.w, nout = nin * d.scale_h * d.scale_w;
    const std::string at = name(d);
    const std::vector<float> x = smooth_values(nin, 4), dy = smooth_values(nout, 5);
    std::vector<float> y_cpu(nout), y_emu(nout, std::nanf(""));
    upsample2d_forward(cpu_backend(), d, x.data(), y_cpu.data());
    ASSERT_TRUE(test::emulate_each_once(nout, UpsampleForwardBody{d, x.data(), y_emu.data()}));
    EXPECT_TRUE(same_bits(y_emu, y_cpu, "y " + at));
    std::vector<float> dx_cpu(nin), dx_emu(nin, std::nanf(""));
    upsample2d_backward(cpu_backend(), d, dy.data(), dx_cpu.data());
    ASSERT_TRUE(test::emulate_each_once(nin, UpsampleBackwardBody{d, dy.data(), dx_emu.data()}));
    EXPECT_TRUE(same_bits(dx_emu, dx_cpu, "dx " + at));
  }
}

TEST(PoolingKernels, LaunchesWithinCudaLimits) {
  // One thread per value in a grid-stride loop: x only, capped blocks, whole warps.
  for (int64_t n : {int64_t{1}, int64_t{256} * 64 * 28 * 28, int64_t{1} << 33}) {
    const Launch l = grid_stride_launch(n);
    EXPECT_GE(l.blocks, 1u);
    EXPECT_LE(l.blocks, kMaxBlocks);
    EXPECT_LE(l.threads, 1024u);
  }
}

}  // namespace
}  // namespace strata
