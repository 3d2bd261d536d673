// The CUDA conv2d and conv_transpose2d (cuDNN) against the CPU ops, forward and backward (dx, dW,
// db), on every convolution layer of the benchmark models at their batch sizes and on edge shapes
// (batch 1 and 3, odd sizes, asymmetric "same" padding through the padded copy, output_padding,
// kernels smaller than the stride; tests/core/ops/kernels/conv_cases.h):
// - tolerance: |gpu - cpu| <= 1e-4 |cpu| + 1e-4 max(max |cpu|, 1) per tensor (fp32 both sides,
//   sums in different orders; a missing or misplaced kernel tap is off by a whole product);
// - backward twice: dW and db accumulate twice, dx is overwritten (compared with the CPU op
//   called twice);
// - dx alone and dW/db alone give what the full backward gives;
// - two runs give the same bits (deterministic algorithms, no atomics);
// - outputs and the workspace start as NaN, so a value left unwritten, or read before it is
//   written, fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cpu_threads.h"
#include "core/ops/conv2d.h"
#include "core/ops/conv_transpose2d.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/conv_cases.h"

namespace strata {
namespace {

using gpu_test::download;
using gpu_test::gpu;
using gpu_test::upload;
using test::bias_floats;
using test::ConvCase;
using test::x_floats;
using test::y_floats;

struct Inputs {
  std::vector<float> x, w, b, dy, dw0, db0;
};

struct Outputs {
  std::vector<float> y, dx, dw, db;
};

Inputs inputs_for(const ConvCase& cs) {
  const int64_t wn = cs.args.channels * cs.args.geom.rows();
  return {gpu_test::inputs(x_floats(cs), 1.0f, 1),
          gpu_test::inputs(wn, 0.05f, 2),
          gpu_test::inputs(bias_floats(cs), 0.5f, 3),
          gpu_test::inputs(y_floats(cs), 1.0f, 4),
          gpu_test::inputs(wn, 0.25f, 5),
          gpu_test::inputs(bias_floats(cs), 0.25f, 6)};
}

// Which gradients a backward call asks for.
struct Wants {
  bool dx = true, dw = true;
};

// The CPU op: forward once, then backward `times` times (on all the CPU's threads).
Outputs run_cpu(const ConvCase& cs, const Inputs& in, int times, Wants want = {}) {
  ConvArgs a = cs.args;
  a.threads = cpu_threads();
  CpuBackend& be = cpu_backend();
  Outputs o{std::vector<float>(y_floats(cs), NAN), std::vector<float>(x_floats(cs), NAN), in.dw0,
            in.db0};
  const float* b = a.bias ? in.b.data() : nullptr;
  float* dw = want.dw ? o.dw.data() : nullptr;
  float* db = want.dw && a.bias ? o.db.data() : nullptr;
  float* dx = want.dx ? o.dx.data() : nullptr;
  if (cs.transposed) {
    std::vector<float> ws(std::max<int64_t>(conv_transpose2d_workspace(be, a), 1));
    conv_transpose2d_forward(be, a, in.x.data(), in.w.data(), b, o.y.data(), ws.data());
    for (int t = 0; t < times; ++t)
      conv_transpose2d_backward(be, a, in.x.data(), in.w.data(), in.dy.data(), dw, db, dx,
                                ws.data());
  } else {
    std::vector<float> ws(std::max<int64_t>(conv2d_workspace(be, a), 1));
    conv2d_forward(be, a, in.x.data(), in.w.data(), b, o.y.data(), ws.data());
    for (int t = 0; t < times; ++t)
      conv2d_backward(be, a, in.x.data(), in.w.data(), in.dy.data(), dw, db, dx, ws.data());
  }
  return o;
}

// The CUDA op, the same calls; outputs and workspace start as NaN.
Outputs run_gpu(const ConvCase& cs, const Inputs& in, int times, Wants want = {}) {
  const ConvArgs& a = cs.args;
  CudaBackend& be = gpu();
  const int64_t ws_floats =
      cs.transposed ? conv_transpose2d_workspace(be, a) : conv2d_workspace(be, a);
  Tensor ws = gpu_test::device_nan(std::max<int64_t>(ws_floats, 1));
  Tensor x = upload(in.x), w = upload(in.w), bias = upload(in.b), dy = upload(in.dy);
  Tensor dw = upload(in.dw0), db = upload(in.db0);
  Tensor y = gpu_test::device_nan(y_floats(cs)), dx = gpu_test::device_nan(x_floats(cs));
  const float* b = a.bias ? bias.data() : nullptr;
  float* dwp = want.dw ? dw.data() : nullptr;
  float* dbp = want.dw && a.bias ? db.data() : nullptr;
  float* dxp = want.dx ? dx.data() : nullptr;
  if (cs.transposed) {
    conv_transpose2d_forward(be, a, x.data(), w.data(), b, y.data(), ws.data());
    for (int t = 0; t < times; ++t)
      conv_transpose2d_backward(be, a, x.data(), w.data(), dy.data(), dwp, dbp, dxp, ws.data());
  } else {
    conv2d_forward(be, a, x.data(), w.data(), b, y.data(), ws.data());
    for (int t = 0; t < times; ++t)
      conv2d_backward(be, a, x.data(), w.data(), dy.data(), dwp, dbp, dxp, ws.data());
  }
  be.synchronize();
  return {download(y), download(dx), download(dw), download(db)};
}

::testing::AssertionResult close(const std::vector<float>& got, const std::vector<float>& want,
                                 const std::string& what) {
  float scale = 1.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  return gpu_test::close(got, want, 1e-4f, 1e-4f * scale, what);
}

void expect_close(const ConvCase& cs, const Outputs& got, const Outputs& want,
                  const std::string& when) {
  const std::string at = cs.name + " " + when;
  EXPECT_TRUE(close(got.y, want.y, at + ": forward"));
  EXPECT_TRUE(close(got.dx, want.dx, at + ": dx"));
  EXPECT_TRUE(close(got.dw, want.dw, at + ": dW"));
  EXPECT_TRUE(close(got.db, want.db, at + ": db"));
}

// Forward, backward once and twice against the CPU; then determinism.
void check(const ConvCase& cs) {
  SCOPED_TRACE(cs.name);
  const Inputs in = inputs_for(cs);
  const Outputs gpu1 = run_gpu(cs, in, 1);
  expect_close(cs, gpu1, run_cpu(cs, in, 1), "backward once");
  expect_close(cs, run_gpu(cs, in, 2), run_cpu(cs, in, 2), "backward twice");
  const Outputs again = run_gpu(cs, in, 1);
  EXPECT_EQ(again.y, gpu1.y) << cs.name << ": forward not deterministic";
  EXPECT_EQ(again.dx, gpu1.dx) << cs.name << ": dx not deterministic";
  EXPECT_EQ(again.dw, gpu1.dw) << cs.name << ": dW not deterministic";
  EXPECT_EQ(again.db, gpu1.db) << cs.name << ": db not deterministic";
}

TEST(ConvGpu, BenchmarkLayersMatchTheCpu) {
  for (const ConvCase& cs : test::benchmark_cases()) check(cs);
}

TEST(ConvGpu, EdgeShapesMatchTheCpu) {
  for (const ConvCase& cs : test::edge_cases()) check(cs);
}

TEST(ConvGpu, KernelStrideAndSizeSweepMatchesTheCpu) {
  for (const ConvCase& cs : test::sweep_cases()) check(cs);
}

TEST(ConvGpu, InputGradientAloneAndWeightGradientAloneMatchTheFullBackward) {
  const auto same = PaddingMode::kSame;
  for (const ConvCase& cs :
       {test::conv2d_case("same_k4s2_7x9", 3, 2, 7, 9, 3, 4, 4, 2, 2, same),
        test::conv_transpose2d_case("t_same_k5s2_7", 3, 3, 7, 7, 2, 5, 2, 0, 0, true),
        test::benchmark_cases()[0], test::benchmark_cases()[2]}) {
    SCOPED_TRACE(cs.name);
    const Inputs in = inputs_for(cs);
    const Outputs full = run_gpu(cs, in, 1);
    const Outputs dx_only = run_gpu(cs, in, 1, Wants{.dx = true, .dw = false});
    const Outputs dw_only = run_gpu(cs, in, 1, Wants{.dx = false, .dw = true});
    EXPECT_EQ(dx_only.dx, full.dx);
    EXPECT_EQ(dx_only.dw, in.dw0);  // untouched
    EXPECT_EQ(dx_only.db, in.db0);
    EXPECT_EQ(dw_only.dw, full.dw);
    EXPECT_EQ(dw_only.db, full.db);
    EXPECT_TRUE(std::all_of(dw_only.dx.begin(), dw_only.dx.end(),
                            [](float v) { return std::isnan(v); }));  // not written
  }
}

TEST(ConvGpu, WorkspaceCoversThePaddedCopy) {
  // "same", kernel 4, stride 2 on 7x7 goes through the padded copy: its workspace holds the
  // padded images (batch x channels x 10 x 10) at least.
  const ConvCase cs =
      test::conv2d_case("same_k4s2_7", 3, 2, 7, 7, 3, 4, 4, 2, 2, PaddingMode::kSame);
  const int64_t ws = conv2d_workspace(gpu(), cs.args);
  EXPECT_GE(ws, 3 * 2 * 10 * 10);
  EXPECT_EQ(conv2d_workspace(gpu(), cs.args), ws);  // the same plan on every call
}

}  // namespace
}  // namespace strata
