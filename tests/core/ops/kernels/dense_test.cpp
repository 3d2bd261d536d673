// The CUDA dense op's host logic and kernel bodies against the CPU op (dense.cpp):
// - the cuBLASLt forward plan, run by a plain column-major matmul with cuBLASLt's definition
//   (layouts, transposes, the BIAS epilogue's per-row bias, ReLU), gives dense_forward's and
//   dense_relu_forward's values for batch 1, 3 and 256 at the shapes of the benchmark models and
//   at odd shapes; a bias added along the wrong axis of D would be caught;
// - the backward plans, run by cublasSgemm's definition, give dW (accumulated) and dx;
// - the db body gives the CPU's column sums bit for bit, and the fallback epilogue body the CPU's
//   bias and ReLU.
// Tolerance of the GEMMs (float accumulation in another order than OpenBLAS's): rtol 1e-5 plus
// atol 1e-6 sqrt(k), with inputs scaled so that the outputs are of order one.
#include "core/ops/kernels/dense.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/activations.h"
#include "core/ops/dense.h"
#include "core/ops/dense_plan.h"
#include "tests/core/ops/kernels/dense_cases.h"
#include "tests/support/emulate_launch.h"
#include "tests/support/lcg.h"

namespace strata {
namespace {

std::vector<float> values(int64_t n, float scale, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  test::Lcg r(seed, 7u);
  for (auto& x : v) x = scale * (r.unit() * 2.0f - 1.0f);
  return v;
}

// op(X)[r, c] of a column-major operand stored as `layout`, read only through the layout (and
// checked against it: an index outside rows x cols fails the test).
float element(const float* x, const LtLayout& l, bool trans, int64_t r, int64_t c) {
  const int64_t row = trans ? c : r, col = trans ? r : c;
  EXPECT_TRUE(row >= 0 && row < l.rows && col >= 0 && col < l.cols) << row << ", " << col;
  return x[row + col * l.ld];
}

// cublasLtMatmul's definition on the host, with alpha 1 and beta 0:
// D = epilogue(op(A)[m, k] op(B)[k, n]), the bias's value i added to row i of D. The products are
// summed in double and rounded once; the bias is added to the rounded product in float.
// bias_per_column adds it along the other axis instead (what a wrong mapping would do).
void run_lt_reference(const LtDensePlan& p, bool bias_per_column = false) {
  const ColumnMajorGemm& g = p.gemm;
  // The layouts are what cuBLASLt checks: op(A) is m x k, op(B) is k x n, D is m x n.
  ASSERT_EQ(g.trans_first ? p.a.rows : p.a.cols, g.k);
  ASSERT_EQ(g.trans_first ? p.a.cols : p.a.rows, g.m);
  ASSERT_EQ(g.trans_second ? p.b.cols : p.b.rows, g.k);
  ASSERT_EQ(g.trans_second ? p.b.rows : p.b.cols, g.n);
  ASSERT_EQ(p.d.rows, g.m);
  ASSERT_EQ(p.d.cols, g.n);
  ASSERT_GE(p.a.ld, p.a.rows);
  ASSERT_GE(p.b.ld, p.b.rows);
  ASSERT_EQ(p.d.ld, g.ldc);
  ASSERT_GE(p.d.ld, p.d.rows);
  const bool bias = p.epilogue == LtEpilogue::kBias || p.epilogue == LtEpilogue::kReluBias;
  const bool relu = p.epilogue == LtEpilogue::kRelu || p.epilogue == LtEpilogue::kReluBias;
  ASSERT_EQ(bias, p.bias != nullptr);
  if (bias) {
    ASSERT_EQ(p.bias_length, p.d.rows);  // cuBLASLt: the bias's length is D's rows
  }
  // op(A) by rows and op(B) by columns, each contiguous in the summed index.
  std::vector<float> a(static_cast<size_t>(g.m * g.k)), b(static_cast<size_t>(g.n * g.k));
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t l = 0; l < g.k; ++l) a[i * g.k + l] = element(g.first, p.a, g.trans_first, i, l);
  for (int64_t j = 0; j < g.n; ++j)
    for (int64_t l = 0; l < g.k; ++l) b[j * g.k + l] = element(g.second, p.b, g.trans_second, l, j);
  for (int64_t j = 0; j < g.n; ++j) {
    for (int64_t i = 0; i < g.m; ++i) {
      double s = 0.0;
      for (int64_t l = 0; l < g.k; ++l) s += static_cast<double>(a[i * g.k + l]) * b[j * g.k + l];
      float v = static_cast<float>(s);
      if (bias) v += bias_per_column ? p.bias[j % p.bias_length] : p.bias[i];
      if (relu) v = std::max(v, 0.0f);
      g.c[i + j * g.ldc] = v;
    }
  }
}

// cublasSgemm's definition on the host (alpha 1), as in tests/core/ops/gemm_plan_test.cpp; with
// beta 0, C is not read (cuBLAS's rule: it may hold anything, NaN included).
void run_sgemm_reference(const SgemmStep& s) {
  const ColumnMajorGemm& g = s.gemm;
  // op(first) by rows and op(second) by columns, each contiguous in the summed index.
  std::vector<float> a(static_cast<size_t>(g.m * g.k)), b(static_cast<size_t>(g.n * g.k));
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t l = 0; l < g.k; ++l)
      a[i * g.k + l] = g.trans_first ? g.first[l + i * g.ld_first] : g.first[i + l * g.ld_first];
  for (int64_t j = 0; j < g.n; ++j)
    for (int64_t l = 0; l < g.k; ++l)
      b[j * g.k + l] =
          g.trans_second ? g.second[j + l * g.ld_second] : g.second[l + j * g.ld_second];
  for (int64_t j = 0; j < g.n; ++j) {
    for (int64_t i = 0; i < g.m; ++i) {
      double sum = 0.0;
      for (int64_t l = 0; l < g.k; ++l) sum += static_cast<double>(a[i * g.k + l]) * b[j * g.k + l];
      float& c = g.c[i + j * g.ldc];
      c = static_cast<float>(s.beta == 0.0f ? sum : sum + s.beta * static_cast<double>(c));
    }
  }
}

::testing::AssertionResult near(const std::vector<float>& got, const std::vector<float>& want,
                                int64_t k, const std::string& what) {
  const float atol = 1e-6f * std::sqrt(static_cast<float>(std::max<int64_t>(k, 1)));
  for (size_t i = 0; i < want.size(); ++i) {
    const float err = std::fabs(got[i] - want[i]);
    if (!(err <= atol + 1e-5f * std::fabs(want[i])))
      return ::testing::AssertionFailure() << what << ": at " << i << " " << got[i] << " vs "
                                           << want[i] << " (atol " << atol << ", rtol 1e-5)";
  }
  return ::testing::AssertionSuccess();
}

using test::InOut;
using test::name;

// The benchmark models' dense layers, then odd ones.
std::vector<InOut> all_layers() {
  std::vector<InOut> layers = test::benchmark_dense_layers();
  for (const InOut s : test::odd_dense_layers()) layers.push_back(s);
  return layers;
}

const int64_t kBatches[] = {1, 3, 256};

struct Operands {
  DenseDims d;
  std::vector<float> x, w, b;
};

Operands operands(int64_t batch, int64_t in, int64_t out) {
  Operands o;
  o.d = DenseDims{batch, in, out};
  o.x = values(batch * in, 1.0f, 1);
  o.w = values(out * in, 1.0f / std::sqrt(static_cast<float>(in)), 2);
  o.b = values(out, 0.5f, 3);
  return o;
}

TEST(DenseForwardPlan, MatchesTheCpuOpWithAndWithoutBiasAndRelu) {
  for (const InOut s : all_layers()) {
    for (const int64_t batch : kBatches) {
      const Operands o = operands(batch, s.in, s.out);
      for (const bool bias : {false, true}) {
        for (const bool relu : {false, true}) {
          // At batch 256 the full epilogue is enough (the host reference is slow).
          if (batch == 256 && !(bias && relu)) continue;
          const float* b = bias ? o.b.data() : nullptr;
          std::vector<float> want(static_cast<size_t>(batch * s.out)), got(want.size(), NAN);
          if (relu)
            dense_relu_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), b, want.data());
          else
            dense_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), b, want.data());
          const LtDensePlan p =
              plan_dense_forward(o.d, o.x.data(), o.w.data(), b, got.data(), relu);
          run_lt_reference(p);
          ASSERT_TRUE(near(got, want, s.in, name(o.d, bias, relu)));
        }
      }
    }
  }
}

TEST(DenseForwardPlan, NamesTheOperandsAndTheEpilogueAsCublasLtWantsThem) {
  const DenseDims d{256, 784, 1000};
  std::vector<float> x(1), w(1), b(1), y(1);
  const LtDensePlan p = plan_dense_forward(d, x.data(), w.data(), b.data(), y.data(), true);
  EXPECT_TRUE(p.gemm.trans_first);
  EXPECT_FALSE(p.gemm.trans_second);
  EXPECT_EQ(p.gemm.first, w.data());
  EXPECT_EQ(p.gemm.second, x.data());
  EXPECT_EQ(p.gemm.c, y.data());
  EXPECT_EQ(p.gemm.m, 1000);
  EXPECT_EQ(p.gemm.n, 256);
  EXPECT_EQ(p.gemm.k, 784);
  // W as stored: [in, out] column-major (ld in), transposed; x: [in, N] (ld in); D = y^T.
  EXPECT_EQ(p.a.rows, 784);
  EXPECT_EQ(p.a.cols, 1000);
  EXPECT_EQ(p.a.ld, 784);
  EXPECT_EQ(p.b.rows, 784);
  EXPECT_EQ(p.b.cols, 256);
  EXPECT_EQ(p.b.ld, 784);
  EXPECT_EQ(p.d.rows, 1000);
  EXPECT_EQ(p.d.cols, 256);
  EXPECT_EQ(p.d.ld, 1000);
  EXPECT_EQ(p.bias, b.data());
  EXPECT_EQ(p.bias_length, 1000);
  EXPECT_EQ(p.epilogue, LtEpilogue::kReluBias);
  EXPECT_EQ(plan_dense_forward(d, x.data(), w.data(), b.data(), y.data(), false).epilogue,
            LtEpilogue::kBias);
  EXPECT_EQ(plan_dense_forward(d, x.data(), w.data(), nullptr, y.data(), true).epilogue,
            LtEpilogue::kRelu);
  const LtDensePlan none = plan_dense_forward(d, x.data(), w.data(), nullptr, y.data(), false);
  EXPECT_EQ(none.epilogue, LtEpilogue::kDefault);
  EXPECT_EQ(none.bias_length, 0);
}

// The control: the reference does tell a bias broadcast along D's rows from one along its
// columns (the other axis), so the match above is not vacuous.
TEST(DenseForwardPlan, ABiasAlongTheWrongAxisWouldBeCaught) {
  const Operands o = operands(3, 7, 5);
  std::vector<float> want(15), got(15);
  dense_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), o.b.data(), want.data());
  const LtDensePlan p =
      plan_dense_forward(o.d, o.x.data(), o.w.data(), o.b.data(), got.data(), false);
  run_lt_reference(p, /*bias_per_column=*/true);
  EXPECT_FALSE(near(got, want, 7, "wrong axis"));
}

TEST(DenseForwardPlan, RefusesEmptyAndNegativeSizes) {
  for (const DenseDims d :
       {DenseDims{0, 3, 4}, DenseDims{2, 0, 4}, DenseDims{2, 3, 0}, DenseDims{-1, 3, 4}}) {
    try {
      plan_dense_forward(d, nullptr, nullptr, nullptr, nullptr, false);
      ADD_FAILURE() << "no error for " << name(d);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a GEMM plan needs positive sizes"), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(plan_dense_backward(d, nullptr, nullptr, nullptr, nullptr, nullptr), Error);
  }
}

TEST(DenseBackwardPlan, MatchesTheCpuOpsDwAccumulatedAndDx) {
  for (const InOut s : all_layers()) {
    for (const int64_t batch : kBatches) {
      const Operands o = operands(batch, s.in, s.out);
      const std::vector<float> dy =
          values(batch * s.out, 1.0f / std::sqrt(static_cast<float>(batch)), 4);
      const std::vector<float> dw0 = values(s.out * s.in, 0.25f, 5);
      std::vector<float> dw_want = dw0, dw_got = dw0;
      std::vector<float> dx_want(static_cast<size_t>(batch * s.in)), dx_got(dx_want.size(), NAN);
      dense_backward(cpu_backend(), o.d, o.x.data(), o.w.data(), dy.data(), dw_want.data(), nullptr,
                     dx_want.data());
      const DenseBackwardPlan p =
          plan_dense_backward(o.d, o.x.data(), o.w.data(), dy.data(), dw_got.data(), dx_got.data());
      EXPECT_EQ(p.dw.beta, 1.0f);
      EXPECT_EQ(p.dx.beta, 0.0f);
      run_sgemm_reference(p.dw);
      run_sgemm_reference(p.dx);
      ASSERT_TRUE(near(dw_got, dw_want, batch, name(o.d) + ", dW"));
      ASSERT_TRUE(near(dx_got, dx_want, s.out, name(o.d) + ", dx"));
    }
  }
}

TEST(DenseBiasGradBody, EqualsTheCpuColumnSumsBitForBit) {
  for (const InOut s : all_layers()) {
    for (const int64_t batch : {int64_t{1}, int64_t{3}, int64_t{256}, int64_t{1031}}) {
      const DenseDims d{batch, s.in, s.out};
      const std::vector<float> dy = values(batch * s.out, 3.0f, 6);
      const std::vector<float> db0 = values(s.out, 1.0f, 7);
      std::vector<float> want = db0, got = db0;
      dense_backward(cpu_backend(), d, nullptr, nullptr, dy.data(), nullptr, want.data(), nullptr);
      const std::vector<int> visits =
          test::emulate_grid_stride(s.out, DenseBiasGradBody{dy.data(), batch, s.out, got.data()});
      for (int64_t j = 0; j < s.out; ++j) {
        ASSERT_EQ(visits[j], 1) << name(d) << ", column " << j;
        ASSERT_EQ(got[j], want[j]) << name(d) << ", column " << j;
      }
    }
  }
}

TEST(DenseEpilogueBody, AddsTheBiasPerRowOfDThenTheRelu) {
  for (const InOut s : all_layers()) {
    for (const int64_t batch : {int64_t{1}, int64_t{3}, int64_t{256}}) {
      if (batch * s.out > 300000) continue;  // the emulated launch of 1.6 million values is slow
      const Operands o = operands(batch, s.in, s.out);
      const int64_t n = batch * s.out;
      std::vector<float> product(static_cast<size_t>(n));
      dense_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), nullptr, product.data());
      for (const bool bias : {false, true}) {
        for (const bool relu : {false, true}) {
          const float* b = bias ? o.b.data() : nullptr;
          std::vector<float> got = product, cpu(static_cast<size_t>(n));
          const std::vector<int> visits =
              test::emulate_grid_stride(n, DenseEpilogueBody{b, s.out, relu, got.data()});
          if (relu)
            dense_relu_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), b, cpu.data());
          else
            dense_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), b, cpu.data());
          for (int64_t i = 0; i < n; ++i) {
            ASSERT_EQ(visits[i], 1);
            // Exactly the epilogue's arithmetic on the product...
            float v = product[i] + (b ? b[i % s.out] : 0.0f);
            if (relu) v = v > 0.0f ? v : 0.0f;
            ASSERT_EQ(got[i], v) << name(o.d) << " at " << i;
          }
          // ...which is the CPU op's value up to where OpenBLAS adds the bias.
          ASSERT_TRUE(near(got, cpu, s.in, name(o.d) + " epilogue"));
        }
      }
    }
  }
}

TEST(DenseReluForward, IsTheCpuDenseThenTheReluActivation) {
  const Operands o = operands(5, 33, 17);
  std::vector<float> got(85), want(85);
  dense_relu_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), o.b.data(), got.data());
  dense_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), o.b.data(), want.data());
  activation_forward(cpu_backend(), ActivationFn{ActivationKind::kReLU}, want.data(), want.data(),
                     85);
  for (int i = 0; i < 85; ++i) ASSERT_EQ(got[i], want[i]) << i;
  EXPECT_TRUE(std::count(got.begin(), got.end(), 0.0f) > 0);  // some values were negative
}

TEST(LtAlignment, IsTheLargestPowerOfTwoUpTo256DividingTheAddress) {
  const auto at = [](uintptr_t a) { return lt_alignment(reinterpret_cast<const void*>(a)); };
  EXPECT_EQ(at(0), 256u);
  EXPECT_EQ(at(4), 4u);
  EXPECT_EQ(at(12), 4u);
  EXPECT_EQ(at(16), 16u);
  EXPECT_EQ(at(0x30), 16u);
  EXPECT_EQ(at(0x1000), 256u);
  EXPECT_EQ(at(0x1000 + 128), 128u);
  EXPECT_EQ(at(0x1000 + 2), 2u);
  EXPECT_EQ(at(0x1001), 1u);
}

}  // namespace
}  // namespace strata
