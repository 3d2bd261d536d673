// The CUDA dense and convolution ops at tf32 and bf16 against the CPU's emulation (the CPU op at
// the same precision: the fp32 op on rounded operands), and fp32 on the GPU free of TF32.
// Tolerances (scale: the largest |value| of the CPU's output, at least 1):
//   bf16  rtol 1e-4, atol 1e-4 * scale: the products of bf16 values are exact in fp32 (also on
//         TF32 tensor cores), so only the order of the fp32 sums differs, as at fp32
//   tf32  rtol 4e-3, atol 4e-3 * scale: a tensor-core kernel may round an operand to TF32 in
//         another way than the emulation's round-to-nearest-away (truncating), one TF32 ulp
//         (2^-10) per operand at most, and the sums' order differs
//   fp32  inputs 1.0001 and 1: TF32 reads 1.0001 as 1, so a TF32 product is off by 1e-4
//         relative (a sum of 1024 of them by 0.1); the GPU's fp32 must stay within 0.03 of the
//         exact sum and its short sums within rtol 1e-5, which TF32 cannot.
// At every precision two GPU runs give the same bits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cpu_threads.h"
#include "core/ops/conv2d.h"
#include "core/ops/conv_transpose2d.h"
#include "core/ops/dense.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/conv_cases.h"

namespace strata {
namespace {

using gpu_test::download;
using gpu_test::gpu;
using gpu_test::upload;

struct Tol {
  float rtol, scale_atol;
};
Tol tolerance(Precision p) {
  return p == Precision::kTf32 ? Tol{4e-3f, 4e-3f} : Tol{1e-4f, 1e-4f};
}

::testing::AssertionResult close(const std::vector<float>& got, const std::vector<float>& want,
                                 Precision p, const std::string& what) {
  float scale = 1.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  const Tol t = tolerance(p);
  return gpu_test::close(got, want, t.rtol, t.scale_atol * scale,
                         what + " at " + precision_name(p));
}

struct DenseOut {
  std::vector<float> y, dw, db, dx;
};

DenseOut dense_cpu(const DenseDims& d, const std::vector<float>& x, const std::vector<float>& w,
                   const std::vector<float>& b, const std::vector<float>& dy, bool relu) {
  CpuBackend& be = cpu_backend();
  std::vector<float> ws(std::max<int64_t>(dense_workspace(be, d), 1));
  DenseOut o{std::vector<float>(d.batch * d.out), std::vector<float>(d.out * d.in, 0.5f),
             std::vector<float>(d.out, 0.25f), std::vector<float>(d.batch * d.in)};
  if (relu)
    dense_relu_forward(be, d, x.data(), w.data(), b.data(), o.y.data(), ws.data());
  else
    dense_forward(be, d, x.data(), w.data(), b.data(), o.y.data(), ws.data());
  dense_backward(be, d, x.data(), w.data(), dy.data(), o.dw.data(), o.db.data(), o.dx.data(),
                 ws.data());
  return o;
}

DenseOut dense_gpu(const DenseDims& d, const std::vector<float>& x, const std::vector<float>& w,
                   const std::vector<float>& b, const std::vector<float>& dy, bool relu) {
  CudaBackend& be = gpu();
  Tensor ws = gpu_test::device_nan(std::max<int64_t>(dense_workspace(be, d), 1));
  Tensor xd = upload(x), wd = upload(w), bd = upload(b), dyd = upload(dy);
  Tensor y = gpu_test::device_nan(d.batch * d.out), dx = gpu_test::device_nan(d.batch * d.in);
  Tensor dw = upload(std::vector<float>(d.out * d.in, 0.5f));
  Tensor db = upload(std::vector<float>(d.out, 0.25f));
  if (relu)
    dense_relu_forward(be, d, xd.data(), wd.data(), bd.data(), y.data(), ws.data());
  else
    dense_forward(be, d, xd.data(), wd.data(), bd.data(), y.data(), ws.data());
  dense_backward(be, d, xd.data(), wd.data(), dyd.data(), dw.data(), db.data(), dx.data(),
                 ws.data());
  be.synchronize();
  return {download(y), download(dw), download(db), download(dx)};
}

TEST(DensePrecisionGpu, MatchesTheCpuEmulationAtTf32AndBf16) {
  for (Precision p : {Precision::kTf32, Precision::kBf16})
    for (DenseDims d : {DenseDims{256, 784, 1000}, DenseDims{3, 250, 30}, DenseDims{5, 33, 17},
                        DenseDims{1, 1000, 784}}) {
      d.precision = p;
      const std::string at = "dense " + std::to_string(d.batch) + "x" + std::to_string(d.in) + "x" +
                             std::to_string(d.out);
      const float wscale = 1.0f / std::sqrt(static_cast<float>(d.in));
      const auto x = gpu_test::inputs(d.batch * d.in, 1.0f, 1);
      const auto w = gpu_test::inputs(d.out * d.in, wscale, 2);
      const auto b = gpu_test::inputs(d.out, 0.5f, 3);
      const auto dy = gpu_test::inputs(d.batch * d.out, 1.0f, 4);
      for (bool relu : {false, true}) {
        const DenseOut want = dense_cpu(d, x, w, b, dy, relu),
                       got = dense_gpu(d, x, w, b, dy, relu);
        const std::string what = at + (relu ? " relu" : "");
        EXPECT_TRUE(close(got.y, want.y, p, what + ": y"));
        EXPECT_TRUE(close(got.dw, want.dw, p, what + ": dW"));
        EXPECT_TRUE(close(got.dx, want.dx, p, what + ": dx"));
        EXPECT_EQ(got.db, want.db) << what << ": db (fp32 dy, the CPU's additions)";
        const DenseOut again = dense_gpu(d, x, w, b, dy, relu);
        EXPECT_EQ(again.y, got.y) << what << ": not deterministic";
        EXPECT_EQ(again.dw, got.dw) << what << ": not deterministic";
        EXPECT_EQ(again.dx, got.dx) << what << ": not deterministic";
      }
    }
}

TEST(DensePrecisionGpu, Fp32UsesNoTf32) {
  const DenseDims d{4, 1024, 4};
  const std::vector<float> x(d.batch * d.in, 1.0001f), w(d.out * d.in, 1.0f), b(d.out, 0.0f);
  const std::vector<float> dy(d.batch * d.out, 1.0001f);
  const DenseOut got = dense_gpu(d, x, w, b, dy, false), want = dense_cpu(d, x, w, b, dy, false);
  const double exact = 1024.0 * static_cast<double>(1.0001f);
  for (float v : got.y) EXPECT_NEAR(v, exact, 0.03) << "TF32 would give 1024";
  EXPECT_TRUE(gpu_test::close(got.dw, want.dw, 1e-5f, 1e-6f, "dW at fp32"));
  EXPECT_TRUE(gpu_test::close(got.dx, want.dx, 1e-5f, 1e-6f, "dx at fp32"));
  // Control: the same case at tf32 on the CPU is off by far more.
  DenseDims t = d;
  t.precision = Precision::kTf32;
  EXPECT_GT(std::fabs(dense_cpu(t, x, w, b, dy, false).y[0] - exact), 0.09);
}

struct ConvOut {
  std::vector<float> y, dx, dw, db;
};

ConvOut conv_cpu(const test::ConvCase& cs, const ConvArgs& a, const std::vector<float>& x,
                 const std::vector<float>& w, const std::vector<float>& b,
                 const std::vector<float>& dy) {
  CpuBackend& be = cpu_backend();
  ConvOut o{std::vector<float>(test::y_floats(cs)), std::vector<float>(test::x_floats(cs)),
            std::vector<float>(w.size(), 0.5f), std::vector<float>(b.size(), 0.25f)};
  if (cs.transposed) {
    std::vector<float> ws(std::max<int64_t>(conv_transpose2d_workspace(be, a), 1));
    conv_transpose2d_forward(be, a, x.data(), w.data(), b.data(), o.y.data(), ws.data());
    conv_transpose2d_backward(be, a, x.data(), w.data(), dy.data(), o.dw.data(), o.db.data(),
                              o.dx.data(), ws.data());
  } else {
    std::vector<float> ws(std::max<int64_t>(conv2d_workspace(be, a), 1));
    conv2d_forward(be, a, x.data(), w.data(), b.data(), o.y.data(), ws.data());
    conv2d_backward(be, a, x.data(), w.data(), dy.data(), o.dw.data(), o.db.data(), o.dx.data(),
                    ws.data());
  }
  return o;
}

ConvOut conv_gpu(const test::ConvCase& cs, const ConvArgs& a, const std::vector<float>& x,
                 const std::vector<float>& w, const std::vector<float>& b,
                 const std::vector<float>& dy) {
  CudaBackend& be = gpu();
  const int64_t ws_floats =
      cs.transposed ? conv_transpose2d_workspace(be, a) : conv2d_workspace(be, a);
  Tensor ws = gpu_test::device_nan(std::max<int64_t>(ws_floats, 1));
  Tensor xd = upload(x), wd = upload(w), bd = upload(b), dyd = upload(dy);
  Tensor y = gpu_test::device_nan(test::y_floats(cs)),
         dx = gpu_test::device_nan(test::x_floats(cs));
  Tensor dw = upload(std::vector<float>(w.size(), 0.5f));
  Tensor db = upload(std::vector<float>(b.size(), 0.25f));
  if (cs.transposed) {
    conv_transpose2d_forward(be, a, xd.data(), wd.data(), bd.data(), y.data(), ws.data());
    conv_transpose2d_backward(be, a, xd.data(), wd.data(), dyd.data(), dw.data(), db.data(),
                              dx.data(), ws.data());
  } else {
    conv2d_forward(be, a, xd.data(), wd.data(), bd.data(), y.data(), ws.data());
    conv2d_backward(be, a, xd.data(), wd.data(), dyd.data(), dw.data(), db.data(), dx.data(),
                    ws.data());
  }
  be.synchronize();
  return {download(y), download(dx), download(dw), download(db)};
}

std::vector<test::ConvCase> conv_cases() {
  using test::conv2d_case;
  using test::conv_transpose2d_case;
  std::vector<test::ConvCase> cases = test::benchmark_cases();
  cases.push_back(conv2d_case("same_odd", 3, 5, 9, 9, 7, 4, 4, 2, 2, PaddingMode::kSame));
  cases.push_back(conv_transpose2d_case("convT_same", 3, 6, 5, 5, 4, 4, 4, 2, 2, 0, 0, true));
  return cases;
}

TEST(ConvPrecisionGpu, MatchesTheCpuEmulationAtTf32AndBf16) {
  for (const test::ConvCase& cs : conv_cases())
    for (Precision p : {Precision::kTf32, Precision::kBf16}) {
      ConvArgs a = cs.args;
      a.precision = p;
      const int64_t wn = a.channels * a.geom.rows();
      const auto x = gpu_test::inputs(test::x_floats(cs), 1.0f, 1);
      const auto w = gpu_test::inputs(wn, 0.05f, 2);
      const auto b = gpu_test::inputs(test::bias_floats(cs), 0.5f, 3);
      const auto dy = gpu_test::inputs(test::y_floats(cs), 1.0f, 4);
      ConvArgs cpu_args = a;
      cpu_args.threads = cpu_threads();
      const ConvOut want = conv_cpu(cs, cpu_args, x, w, b, dy), got = conv_gpu(cs, a, x, w, b, dy);
      EXPECT_TRUE(close(got.y, want.y, p, cs.name + ": y"));
      EXPECT_TRUE(close(got.dx, want.dx, p, cs.name + ": dx"));
      EXPECT_TRUE(close(got.dw, want.dw, p, cs.name + ": dW"));
      EXPECT_TRUE(close(got.db, want.db, p, cs.name + ": db"));
      const ConvOut again = conv_gpu(cs, a, x, w, b, dy);
      EXPECT_EQ(again.y, got.y) << cs.name << ": not deterministic";
      EXPECT_EQ(again.dx, got.dx) << cs.name << ": not deterministic";
      EXPECT_EQ(again.dw, got.dw) << cs.name << ": not deterministic";
    }
}

TEST(ConvPrecisionGpu, Fp32UsesNoTf32) {
  // 64 channels of 8x8 under a 4x4 kernel: each output sums 1024 products.
  for (const test::ConvCase& cs :
       {test::conv2d_case("conv", 2, 64, 8, 8, 4, 4, 4, 1, 1, PaddingMode::kValid),
        test::conv_transpose2d_case("convT", 2, 1024, 2, 2, 2, 1, 1, 1, 1, 0, 0, false)}) {
    const ConvArgs a = cs.args;
    const int64_t wn = a.channels * a.geom.rows();
    const std::vector<float> x(test::x_floats(cs), 1.0001f), w(wn, 1.0f);
    const std::vector<float> b(test::bias_floats(cs), 0.0f), dy(test::y_floats(cs), 1.0001f);
    const ConvOut got = conv_gpu(cs, a, x, w, b, dy), want = conv_cpu(cs, a, x, w, b, dy);
    const double exact = 1024.0 * static_cast<double>(1.0001f);
    for (float v : got.y) ASSERT_NEAR(v, exact, 0.03) << cs.name << ": TF32 would give 1024";
    EXPECT_TRUE(gpu_test::close(got.dw, want.dw, 1e-5f, 1e-6f, cs.name + ": dW at fp32"));
    EXPECT_TRUE(gpu_test::close(got.dx, want.dx, 1e-5f, 1e-6f, cs.name + ": dx at fp32"));
  }
}

}  // namespace
}  // namespace strata
