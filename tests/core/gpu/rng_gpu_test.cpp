// RandomStream on a GPU (core/rng.h is compiled for the device too): the same 32-bit words and
// uniforms as on the host, bit for bit, so dropout and masking draw the same masks on both; the
// normals (sqrt, log, cos of the device's math library) within a few float roundings. Part of
// strata_test_core_gpu (device_tensor_test.cpp has its main).
#include <gtest/gtest.h>

#include <cmath>

#include "core/rng.h"
#include "tests/core/gpu/rng_draws.h"

namespace strata {
namespace {

using gpu_test::kDraws;
using gpu_test::kWords;

TEST(DeviceRng, DrawsWhatTheHostDraws) {
  const uint64_t seed = 0x299f31d0a4093822ull, step = (uint64_t{5} << 32) + 77, first = 1000003;
  const int streams = 1000;
  const gpu_test::Draws d = gpu_test::draw_on_device(seed, 3, step, first, streams);
  for (int s = 0; s < streams; ++s) {
    RandomStream rng(seed, RngPurpose::kTest, 3, step, first + static_cast<uint64_t>(s));
    for (int i = 0; i < kWords; ++i) ASSERT_EQ(d.words[s * kWords + i], rng.next_u32()) << s;
    for (int i = 0; i < kDraws; ++i) ASSERT_EQ(d.uniforms[s * kDraws + i], rng.uniform()) << s;
    for (int i = 0; i < kDraws; ++i) {
      const float host = rng.normal(), device = d.normals[s * kDraws + i];
      ASSERT_NEAR(device, host, 1e-5f * std::max(1.0f, std::fabs(host))) << s;
    }
  }
}

}  // namespace
}  // namespace strata
