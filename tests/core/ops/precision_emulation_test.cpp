// The CPU's tf32 and bf16 (core/precision.h): Dense, Conv2D and ConvTranspose2D at a precision
// give, bit for bit, their fp32 op applied to operands rounded beforehand (x, W, dy; the bias
// gradient from the fp32 dy), which differs from fp32 on the same data. The fp32 ops need no
// workspace for it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/conv2d.h"
#include "core/ops/conv_transpose2d.h"
#include "core/ops/dense.h"
#include "core/ops/kernels/precision.h"
#include "core/rng.h"
#include "tests/core/ops/kernels/conv_cases.h"

namespace strata {
namespace {

std::vector<float> normal(int64_t n, uint64_t seed) {
  RandomStream rng(seed, RngPurpose::kTest, 0, 0, 0);
  std::vector<float> v(n);
  for (float& x : v) x = rng.normal();
  return v;
}

std::vector<float> rounded(const std::vector<float>& v, Precision p) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = round_operand(p, v[i]);
  return r;
}

// Bitwise equality, naming the first difference.
::testing::AssertionResult same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (size_t i = 0; i < a.size(); ++i)
    if (float_bits(a[i]) != float_bits(b[i]))
      return ::testing::AssertionFailure() << "value " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

constexpr Precision kLow[] = {Precision::kTf32, Precision::kBf16};

TEST(DensePrecision, ForwardIsTheFp32GemmOfRoundedOperands) {
  CpuBackend& be = cpu_backend();
  const DenseDims f{7, 33, 5};
  EXPECT_EQ(dense_workspace(be, f), 0);
  const auto x = normal(7 * 33, 1), w = normal(5 * 33, 2), b = normal(5, 3);
  std::vector<float> y32(7 * 5);
  dense_forward(be, f, x.data(), w.data(), b.data(), y32.data());
  for (Precision p : kLow) {
    DenseDims d = f;
    d.precision = p;
    std::vector<float> ws(dense_workspace(be, d)), y(7 * 5), yr(7 * 5), yrelu(7 * 5);
    dense_forward(be, d, x.data(), w.data(), b.data(), y.data(), ws.data());
    const auto xr = rounded(x, p), wr = rounded(w, p);
    dense_forward(be, f, xr.data(), wr.data(), b.data(), yr.data());
    EXPECT_TRUE(same_bits(y, yr)) << precision_name(p);
    EXPECT_FALSE(same_bits(y, y32)) << precision_name(p) << " gave fp32's values";
    dense_relu_forward(be, d, x.data(), w.data(), b.data(), yrelu.data(), ws.data());
    for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(yrelu[i], y[i] > 0 ? y[i] : 0.0f);
  }
}

TEST(DensePrecision, BackwardIsTheFp32GemmsOfRoundedOperands) {
  CpuBackend& be = cpu_backend();
  const DenseDims f{6, 40, 9};
  const auto x = normal(6 * 40, 4), w = normal(9 * 40, 5), dy = normal(6 * 9, 6);
  const auto dw0 = normal(9 * 40, 7), db0 = normal(9, 8);  // the gradients accumulate
  for (Precision p : kLow) {
    DenseDims d = f;
    d.precision = p;
    std::vector<float> ws(dense_workspace(be, d));
    auto dw = dw0, db = db0, dwr = dw0, dbr = db0, dw32 = dw0, db32 = db0;
    std::vector<float> dx(6 * 40), dxr(6 * 40), dx32(6 * 40);
    dense_backward(be, d, x.data(), w.data(), dy.data(), dw.data(), db.data(), dx.data(),
                   ws.data());
    const auto xr = rounded(x, p), wr = rounded(w, p), dyr = rounded(dy, p);
    dense_backward(be, f, xr.data(), wr.data(), dyr.data(), dwr.data(), nullptr, dxr.data());
    dense_backward(be, f, x.data(), w.data(), dy.data(), dw32.data(), db32.data(), dx32.data());
    EXPECT_TRUE(same_bits(dw, dwr)) << precision_name(p) << " dW";
    EXPECT_TRUE(same_bits(dx, dxr)) << precision_name(p) << " dx";
    EXPECT_TRUE(same_bits(db, db32)) << precision_name(p) << " db sums the fp32 dy";
    EXPECT_FALSE(same_bits(dx, dx32)) << precision_name(p);
    EXPECT_FALSE(same_bits(dw, dw32)) << precision_name(p);
  }
}

// The case the GPU tests use to show that fp32 uses no TF32
// (tests/core/gpu/precision_gpu_test.cpp): 1024 products of 1.0001 and 1. fp32 sums them within
// 0.03 of the exact value; TF32 reads 1.0001 as 1 and misses by 0.1.
TEST(DensePrecision, TheNoTf32CaseSeparatesFp32FromTf32) {
  CpuBackend& be = cpu_backend();
  const DenseDims f{4, 1024, 4};
  const std::vector<float> x(4 * 1024, 1.0001f), w(4 * 1024, 1.0f);
  const double exact = 1024.0 * static_cast<double>(1.0001f);
  std::vector<float> y(16);
  dense_forward(be, f, x.data(), w.data(), nullptr, y.data());
  for (float v : y) EXPECT_NEAR(v, exact, 0.03);
  DenseDims t = f;
  t.precision = Precision::kTf32;
  std::vector<float> ws(dense_workspace(be, t));
  dense_forward(be, t, x.data(), w.data(), nullptr, y.data(), ws.data());
  for (float v : y) EXPECT_EQ(v, 1024.0f);
}

struct ConvOps {
  int64_t (*workspace)(CpuBackend&, const ConvArgs&);
  void (*forward)(CpuBackend&, const ConvArgs&, const float*, const float*, const float*, float*,
                  float*);
  void (*backward)(CpuBackend&, const ConvArgs&, const float*, const float*, const float*, float*,
                   float*, float*, float*);
};

ConvOps ops_of(bool transposed) {
  if (transposed)
    return {conv_transpose2d_workspace, conv_transpose2d_forward, conv_transpose2d_backward};
  return {conv2d_workspace, conv2d_forward, conv2d_backward};
}

// Element counts of x, W and y (= dy) of a case.
struct ConvSizes {
  int64_t x, w, y, bias;
};
ConvSizes sizes_of(const test::ConvCase& cs) {
  const ConvArgs& a = cs.args;
  const ConvGeometry& g = a.geom;
  if (cs.transposed)
    return {a.batch * a.channels * g.plane(), a.channels * g.rows(), a.batch * g.image_size(),
            g.channels};
  return {a.batch * g.image_size(), a.channels * g.rows(), a.batch * a.channels * g.plane(),
          a.channels};
}

std::vector<test::ConvCase> cases() {
  using test::conv2d_case;
  using test::conv_transpose2d_case;
  return {
      conv2d_case("conv_same_odd", 5, 3, 9, 9, 4, 4, 4, 2, 2, PaddingMode::kSame),
      conv2d_case("conv_dense", 3, 2, 4, 4, 6, 4, 4, 1, 1, PaddingMode::kValid),
      conv_transpose2d_case("convT_stride2", 5, 4, 5, 5, 3, 4, 4, 2, 2, 1, 0, false),
      conv_transpose2d_case("convT_dense", 3, 6, 1, 1, 4, 4, 4, 1, 1, 0, 0, false),
  };
}

TEST(ConvPrecision, ForwardAndBackwardAreTheFp32OpsOnRoundedOperands) {
  CpuBackend& be = cpu_backend();
  for (test::ConvCase cs : cases()) {
    cs.args.threads = 2;  // per-thread slices before the rounded copies
    const ConvOps op = ops_of(cs.transposed);
    const ConvSizes n = sizes_of(cs);
    const auto x = normal(n.x, 10), w = normal(n.w, 11), b = normal(n.bias, 12);
    const auto dy = normal(n.y, 13), dw0 = normal(n.w, 14), db0 = normal(n.bias, 15);
    const ConvArgs f = cs.args;
    std::vector<float> ws32(std::max<int64_t>(op.workspace(be, f), 1));
    std::vector<float> y32(n.y), dx32(n.x);
    auto dw32 = dw0, db32 = db0;
    op.forward(be, f, x.data(), w.data(), b.data(), y32.data(), ws32.data());
    op.backward(be, f, x.data(), w.data(), dy.data(), dw32.data(), db32.data(), dx32.data(),
                ws32.data());
    for (Precision p : kLow) {
      const std::string what = cs.name + " at " + precision_name(p);
      ConvArgs a = f;
      a.precision = p;
      EXPECT_GT(op.workspace(be, a), op.workspace(be, f)) << what;
      std::vector<float> ws(op.workspace(be, a)), y(n.y), dx(n.x);
      auto dw = dw0, db = db0;
      op.forward(be, a, x.data(), w.data(), b.data(), y.data(), ws.data());
      op.backward(be, a, x.data(), w.data(), dy.data(), dw.data(), db.data(), dx.data(), ws.data());
      const auto xr = rounded(x, p), wr = rounded(w, p), dyr = rounded(dy, p);
      std::vector<float> yr(n.y), dxr(n.x);
      auto dwr = dw0;
      op.forward(be, f, xr.data(), wr.data(), b.data(), yr.data(), ws32.data());
      op.backward(be, f, xr.data(), wr.data(), dyr.data(), dwr.data(), nullptr, dxr.data(),
                  ws32.data());
      EXPECT_TRUE(same_bits(y, yr)) << what << ": y";
      EXPECT_TRUE(same_bits(dx, dxr)) << what << ": dx";
      EXPECT_TRUE(same_bits(dw, dwr)) << what << ": dW";
      EXPECT_TRUE(same_bits(db, db32)) << what << ": db sums the fp32 dy";
      EXPECT_FALSE(same_bits(y, y32)) << what << " gave fp32's y";
      EXPECT_FALSE(same_bits(dw, dw32)) << what << " gave fp32's dW";
    }
  }
}

}  // namespace
}  // namespace strata
