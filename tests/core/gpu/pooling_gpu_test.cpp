// The CUDA maxpool2d and upsample2d against the CPU ops (pooling.cpp), bit for bit (tolerance 0:
// the forwards copy values, the backwards add the CPU's terms in the CPU's order): square and
// non-square windows, overlapping windows (inputs that several outputs pick), padding, strides
// larger than the kernel, ties, NaN and -inf, batch 1 and 3, odd sizes, typical layer sizes (no
// benchmark model pools, bench/MODELS.md); two runs give the same bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/ops/pooling.h"
#include "core/tensor.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/pooling_cases.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

using gpu_test::download;
using gpu_test::gpu;
using gpu_test::upload;
using test::name;
using test::pool;
using test::same_bits;

// Multiples of 1/8 in [-2, 2]: many ties within a window.
std::vector<float> tied_values(int64_t n, uint32_t seed) {
  std::vector<float> v = gpu_test::inputs(n, 2.0f, seed);
  for (float& x : v) x = std::round(x * 8.0f) / 8.0f;
  return v;
}

// int32 argmax in a device tensor of floats (the layer keeps it the same way).
std::vector<int32_t> download_ints(const Tensor& t) {
  const std::vector<float> f = download(t);
  std::vector<int32_t> v(f.size());
  std::memcpy(v.data(), f.data(), f.size() * sizeof(float));
  return v;
}
int32_t* ints(Tensor& t) {
  return reinterpret_cast<int32_t*>(t.data());
}

TEST(MaxPoolGpu, IsTheCpuOpBitForBit) {
  for (const PoolDims& d : test::pool_cases(256))
    for (int kind = 0; kind < 3; ++kind) {
      const int64_t nin = d.planes * d.h * d.w, nout = d.planes * d.out_h * d.out_w;
      std::vector<float> x = kind == 1 ? gpu_test::inputs(nin, 1.0f, 1) : tied_values(nin, 2);
      if (kind == 2) {  // NaN (one and several in a window), -inf, -0.0 and 0.0
        for (int64_t i = 0; i < nin; i += 7) x[i] = std::nanf("");
        for (int64_t i = 3; i < nin; i += 11) x[i] = -std::numeric_limits<float>::infinity();
        for (int64_t i = 5; i < nin; i += 13) x[i] = (i % 2) ? -0.0f : 0.0f;
      }
      const std::string at = name(d) + " inputs " + std::to_string(kind);
      std::vector<float> y(nout);
      std::vector<int32_t> am(nout);
      maxpool2d_forward(cpu_backend(), d, x.data(), y.data(), am.data());
      Tensor gx = upload(x), gy = gpu_test::device_nan(nout), gam = gpu_test::device_nan(nout);
      maxpool2d_forward(gpu(), d, gx.data(), gy.data(), ints(gam));
      EXPECT_TRUE(same_bits(download(gy), y, "y " + at));
      EXPECT_EQ(download_ints(gam), am) << "argmax " << at;

      // The backward from the GPU's argmax; dy of distinct values (their order of addition
      // shows) and of 1s (the count of picks shows).
      for (const std::vector<float>& dy :
           {gpu_test::inputs(nout, 1.0f, 3), std::vector<float>(static_cast<size_t>(nout), 1.0f)}) {
        std::vector<float> dx(nin);
        maxpool2d_backward(cpu_backend(), d, dy.data(), am.data(), dx.data());
        Tensor gdy = upload(dy), gdx = gpu_test::device_nan(nin);
        maxpool2d_backward(gpu(), d, gdy.data(), ints(gam), gdx.data());
        EXPECT_TRUE(same_bits(download(gdx), dx, "dx " + at));
      }
    }
}

// Many outputs picking one input, with dy whose float sum depends on the order of addition.
TEST(MaxPoolGpu, OverlappingPicksAddInTheCpusOrder) {
  const test::OverlappingPicks c;
  const PoolDims& d = c.d;
  const int64_t nin = d.planes * d.h * d.w, nout = d.planes * d.out_h * d.out_w;
  std::vector<float> y(nout), dx(nin);
  std::vector<int32_t> am(nout);
  maxpool2d_forward(cpu_backend(), d, c.x.data(), y.data(), am.data());
  maxpool2d_backward(cpu_backend(), d, c.dy.data(), am.data(), dx.data());
  Tensor gx = upload(c.x), gy = gpu_test::device_nan(nout), gam = gpu_test::device_nan(nout),
         gdy = upload(c.dy), gdx = gpu_test::device_nan(nin);
  maxpool2d_forward(gpu(), d, gx.data(), gy.data(), ints(gam));
  maxpool2d_backward(gpu(), d, gdy.data(), ints(gam), gdx.data());
  EXPECT_EQ(download_ints(gam), am);
  EXPECT_TRUE(same_bits(download(gdx), dx, "dx"));
}

TEST(UpsampleGpu, IsTheCpuOpBitForBit) {
  for (const UpsampleDims& d : test::upsample_cases()) {
    const int64_t nin = d.planes * d.h * d.w, nout = nin * d.scale_h * d.scale_w;
    const std::string at = name(d);
    const std::vector<float> x = gpu_test::inputs(nin, 1.0f, 4),
                             dy = gpu_test::inputs(nout, 1.0f, 5);
    std::vector<float> y(nout), dx(nin);
    upsample2d_forward(cpu_backend(), d, x.data(), y.data());
    upsample2d_backward(cpu_backend(), d, dy.data(), dx.data());
    Tensor gx = upload(x), gdy = upload(dy), gy = gpu_test::device_nan(nout),
           gdx = gpu_test::device_nan(nin);
    upsample2d_forward(gpu(), d, gx.data(), gy.data());
    upsample2d_backward(gpu(), d, gdy.data(), gdx.data());
    EXPECT_TRUE(same_bits(download(gy), y, "y " + at));
    EXPECT_TRUE(same_bits(download(gdx), dx, "dx " + at));
  }
}

TEST(PoolingGpuDeterminism, TwoRunsGiveTheSameBits) {
  const PoolDims d = pool(128 * 64, 32, 32, 3, 3, 2, 2, 1, 1);
  const UpsampleDims u{.planes = 128 * 64, .h = 16, .w = 16, .scale_h = 2, .scale_w = 2};
  const int64_t nin = d.planes * d.h * d.w, nout = d.planes * d.out_h * d.out_w;
  Tensor gx = upload(tied_values(nin, 6)), gdy = upload(gpu_test::inputs(nout, 1.0f, 7));
  Tensor gu = upload(gpu_test::inputs(nin * 4, 1.0f, 8));
  std::vector<std::vector<float>> runs[2];
  for (auto& run : runs) {
    Tensor gy = gpu_test::device_nan(nout), gam = gpu_test::device_nan(nout),
           gdx = gpu_test::device_nan(nin), gup = gpu_test::device_nan(nin * 4),
           gud = gpu_test::device_nan(nin);
    maxpool2d_forward(gpu(), d, gx.data(), gy.data(), ints(gam));
    maxpool2d_backward(gpu(), d, gdy.data(), ints(gam), gdx.data());
    upsample2d_forward(gpu(), u, gx.data(), gup.data());
    upsample2d_backward(gpu(), u, gu.data(), gud.data());
    run = {download(gy), download(gam), download(gdx), download(gup), download(gud)};
  }
  const char* what[] = {"maxpool y", "argmax", "maxpool dx", "upsample y", "upsample dx"};
  for (size_t i = 0; i < runs[0].size(); ++i)
    EXPECT_TRUE(same_bits(runs[1][i], runs[0][i], what[i]));
}

}  // namespace
}  // namespace strata
