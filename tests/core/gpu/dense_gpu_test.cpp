// The CUDA dense op against the CPU op (dense.cpp) at the shapes of the benchmark models' dense
// layers and at edge shapes (batch 1 and 3, odd sizes, a single output, misaligned pointers):
// forward with and without bias, the fused ReLU, by each of its two paths (cuBLASLt with the
// epilogue, cublasSgemm with the bias kernel); backward dW, db and dx, twice (dW and db
// accumulate); two runs bitwise equal.
// Tolerance of the GEMMs (fp32 both sides, summed in different orders, inputs scaled so that the
// outputs are of order one): rtol 1e-5 plus atol 2e-6 sqrt(k), k the summed length (in for y,
// batch for dW, out for dx). db is the CPU's bit for bit (same additions in the same order).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/dense.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/dense_cases.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

using gpu_test::close;
using gpu_test::device_nan;
using gpu_test::download;
using gpu_test::gpu;
using gpu_test::inputs;
using gpu_test::upload;
using test::InOut;
using test::name;
using test::same_bits;

constexpr float kRtol = 1e-5f;
float atol(int64_t k) {
  return 2e-6f * std::sqrt(static_cast<float>(std::max<int64_t>(k, 1)));
}

std::vector<DenseDims> all_dims() {
  std::vector<DenseDims> dims;
  for (const InOut s : test::benchmark_dense_layers())
    for (const int64_t batch : {1, 3, 256}) dims.push_back({batch, s.in, s.out});
  for (const InOut s : test::odd_dense_layers())
    for (const int64_t batch : {1, 3, 5}) dims.push_back({batch, s.in, s.out});
  return dims;
}

// The operands on the host and on the GPU.
struct Operands {
  DenseDims d;
  std::vector<float> x, w, b;
  Tensor gx, gw, gb;
};

Operands operands(const DenseDims& d) {
  Operands o;
  o.d = d;
  o.x = inputs(d.batch * d.in, 1.0f, 1);
  o.w = inputs(d.out * d.in, 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(d.in, 1))), 2);
  o.b = inputs(d.out, 0.5f, 3);
  o.gx = upload(o.x);
  o.gw = upload(o.w);
  o.gb = upload(o.b);
  return o;
}

std::vector<float> cpu_forward(const Operands& o, bool bias, bool relu) {
  std::vector<float> y(static_cast<size_t>(o.d.batch * o.d.out));
  const float* b = bias ? o.b.data() : nullptr;
  if (relu)
    dense_relu_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), b, y.data());
  else
    dense_forward(cpu_backend(), o.d, o.x.data(), o.w.data(), b, y.data());
  return y;
}

// The GPU forward into a fresh NaN-filled y (by dense_forward / dense_relu_forward).
std::vector<float> gpu_forward(const Operands& o, bool bias, bool relu) {
  Tensor y = device_nan(o.d.batch * o.d.out);
  const float* b = bias ? o.gb.data() : nullptr;
  if (relu)
    dense_relu_forward(gpu(), o.d, o.gx.data(), o.gw.data(), b, y.data());
  else
    dense_forward(gpu(), o.d, o.gx.data(), o.gw.data(), b, y.data());
  return download(y);
}

TEST(DenseGpu, ForwardMatchesTheCpuWithAndWithoutBiasAndRelu) {
  for (const DenseDims& d : all_dims()) {
    const Operands o = operands(d);
    for (const bool bias : {false, true})
      for (const bool relu : {false, true})
        EXPECT_TRUE(close(gpu_forward(o, bias, relu), cpu_forward(o, bias, relu), kRtol, atol(d.in),
                          name(d, bias, relu)));
  }
}

TEST(DenseGpu, BothForwardPathsMatchTheCpu) {
  for (const DenseDims& d : all_dims()) {
    const Operands o = operands(d);
    for (const bool bias : {false, true}) {
      for (const bool relu : {false, true}) {
        const float* b = bias ? o.gb.data() : nullptr;
        const std::vector<float> want = cpu_forward(o, bias, relu);
        Tensor y = device_nan(d.batch * d.out);
        dense_forward_by(gpu(), DenseCudaPath::kSgemm, d, o.gx.data(), o.gw.data(), b, y.data(),
                         relu);
        EXPECT_TRUE(close(download(y), want, kRtol, atol(d.in), "sgemm, " + name(d, bias, relu)));
        if (dense_forward_path(gpu(), d, o.gx.data(), o.gw.data(), b, y.data(), relu) ==
            DenseCudaPath::kLt) {
          Tensor y2 = device_nan(d.batch * d.out);
          dense_forward_by(gpu(), DenseCudaPath::kLt, d, o.gx.data(), o.gw.data(), b, y2.data(),
                           relu);
          EXPECT_TRUE(
              close(download(y2), want, kRtol, atol(d.in), "cuBLASLt, " + name(d, bias, relu)));
        }
      }
    }
  }
}

// Fresh device buffers are 256-byte aligned: the benchmark shapes must run fused in cuBLASLt
// (fp32 pedantic), the point of the CUDA forward.
TEST(DenseGpu, BenchmarkShapesRunAsOneCublasLtMatmul) {
  for (const InOut s : test::benchmark_dense_layers()) {
    for (const int64_t batch : {1, 3, 256}) {
      const Operands o = operands({batch, s.in, s.out});
      Tensor y = device_nan(batch * s.out);
      for (const bool relu : {false, true}) {
        EXPECT_EQ(
            dense_forward_path(gpu(), o.d, o.gx.data(), o.gw.data(), o.gb.data(), y.data(), relu),
            DenseCudaPath::kLt)
            << name(o.d, true, relu);
      }
    }
  }
}

// Operands one float past an aligned address (as views into a parameter buffer can be): cuBLASLt
// is asked for algorithms at 4-byte alignment, and a bias under 16 bytes goes to the kernel.
TEST(DenseGpu, MisalignedOperandsMatchTheCpu) {
  for (const DenseDims d : {DenseDims{256, 784, 1000}, DenseDims{3, 250, 30},
                            DenseDims{256, 6272, 1}, DenseDims{5, 33, 17}}) {
    const Operands o = operands(d);
    auto shifted = [](const std::vector<float>& v) {
      std::vector<float> s(v.size() + 1, 0.0f);
      std::copy(v.begin(), v.end(), s.begin() + 1);
      return upload(s);
    };
    Tensor gx = shifted(o.x), gw = shifted(o.w), gb = shifted(o.b);
    Tensor gy = device_nan(d.batch * d.out + 1);
    const float* x = gx.data() + 1;
    const float* w = gw.data() + 1;
    const float* b = gb.data() + 1;
    float* y = gy.data() + 1;
    EXPECT_EQ(dense_forward_path(gpu(), d, x, w, b, y, true), DenseCudaPath::kSgemm);
    for (const bool relu : {false, true}) {
      if (relu)
        dense_relu_forward(gpu(), d, x, w, b, y);
      else
        dense_forward(gpu(), d, x, w, b, y);
      EXPECT_TRUE(close(download(y, d.batch * d.out), cpu_forward(o, true, relu), kRtol, atol(d.in),
                        "misaligned, " + name(d, true, relu)));
      // The same operands without a bias may run in cuBLASLt at 4-byte alignment.
      if (relu)
        dense_relu_forward(gpu(), d, x, w, nullptr, y);
      else
        dense_forward(gpu(), d, x, w, nullptr, y);
      EXPECT_TRUE(close(download(y, d.batch * d.out), cpu_forward(o, false, relu), kRtol,
                        atol(d.in), "misaligned, " + name(d, false, relu)));
    }
  }
}

TEST(DenseGpu, EmptyShapes) {
  // batch 0 writes nothing.
  Tensor x = upload({1.0f}), w = upload({1.0f, 2.0f}), b = upload({0.5f, -0.5f});
  Tensor y = upload({7.0f});
  dense_forward(gpu(), {0, 1, 2}, x.data(), w.data(), b.data(), y.data());
  EXPECT_TRUE(close(download(y), {7.0f}, 0.0f, 0.0f, "batch 0"));
  // in 0: y = b (relu(b)) on every row.
  Tensor y2 = device_nan(4);
  dense_forward(gpu(), {2, 0, 2}, x.data(), w.data(), b.data(), y2.data());
  EXPECT_TRUE(close(download(y2), {0.5f, -0.5f, 0.5f, -0.5f}, 0.0f, 0.0f, "in 0"));
  dense_relu_forward(gpu(), {2, 0, 2}, x.data(), w.data(), b.data(), y2.data());
  EXPECT_TRUE(close(download(y2), {0.5f, 0.0f, 0.5f, 0.0f}, 0.0f, 0.0f, "in 0, relu"));
  dense_forward(gpu(), {2, 0, 2}, x.data(), w.data(), nullptr, y2.data());
  EXPECT_TRUE(close(download(y2), {0.0f, 0.0f, 0.0f, 0.0f}, 0.0f, 0.0f, "in 0, no bias"));
}

TEST(DenseGpu, BackwardMatchesTheCpuAndAccumulatesTwice) {
  for (const DenseDims& d : all_dims()) {
    const Operands o = operands(d);
    const std::vector<float> dy =
        inputs(d.batch * d.out, 1.0f / std::sqrt(static_cast<float>(d.batch)), 4);
    const std::vector<float> dw0 = inputs(d.out * d.in, 0.25f, 5), db0 = inputs(d.out, 1.0f, 6);
    std::vector<float> dw = dw0, db = db0, dx(static_cast<size_t>(d.batch * d.in));
    Tensor gdy = upload(dy), gdw = upload(dw0), gdb = upload(db0), gdx = device_nan(d.batch * d.in);
    for (int pass = 1; pass <= 2; ++pass) {
      dense_backward(cpu_backend(), d, o.x.data(), o.w.data(), dy.data(), dw.data(), db.data(),
                     dx.data());
      dense_backward(gpu(), d, o.gx.data(), o.gw.data(), gdy.data(), gdw.data(), gdb.data(),
                     gdx.data());
      const std::string what = name(d, true, false) + ", pass " + std::to_string(pass);
      EXPECT_TRUE(close(download(gdw), dw, kRtol, atol(d.batch) * pass, "dW, " + what));
      EXPECT_TRUE(close(download(gdb), db, 0.0f, 0.0f, "db, " + what));
      EXPECT_TRUE(close(download(gdx), dx, kRtol, atol(d.out), "dx, " + what));
    }
    // Each gradient alone (the others null) is the same.
    Tensor gdb_only = upload(db0), gdx_only = device_nan(d.batch * d.in);
    dense_backward(gpu(), d, o.gx.data(), o.gw.data(), gdy.data(), nullptr, gdb_only.data(),
                   nullptr);
    dense_backward(gpu(), d, o.gx.data(), o.gw.data(), gdy.data(), nullptr, nullptr,
                   gdx_only.data());
    std::vector<float> db_once = db0;
    dense_backward(cpu_backend(), d, o.x.data(), o.w.data(), dy.data(), nullptr, db_once.data(),
                   nullptr);
    EXPECT_TRUE(close(download(gdb_only), db_once, 0.0f, 0.0f, "db alone, " + name(d, 1, 0)));
    EXPECT_TRUE(close(download(gdx_only), dx, kRtol, atol(d.out), "dx alone, " + name(d, 1, 0)));
  }
}

TEST(DenseGpu, TwoRunsAreBitwiseEqual) {
  for (const DenseDims d : {DenseDims{256, 784, 1000}, DenseDims{256, 100, 6272},
                            DenseDims{256, 6272, 1}, DenseDims{3, 33, 17}}) {
    const Operands o = operands(d);
    Tensor y = device_nan(d.batch * d.out);
    for (const DenseCudaPath path : {DenseCudaPath::kLt, DenseCudaPath::kSgemm}) {
      if (path == DenseCudaPath::kLt &&
          dense_forward_path(gpu(), d, o.gx.data(), o.gw.data(), o.gb.data(), y.data(), true) !=
              DenseCudaPath::kLt)
        continue;
      std::vector<float> runs[2];
      for (auto& run : runs) {
        dense_forward_by(gpu(), path, d, o.gx.data(), o.gw.data(), o.gb.data(), y.data(), true);
        run = download(y);
        // Other values in y before the next run, so that it must write every value again.
        dense_forward(gpu(), d, o.gx.data(), o.gw.data(), nullptr, y.data());
      }
      EXPECT_TRUE(same_bits(runs[0], runs[1], "forward, " + name(d, true, true)));
    }
    const std::vector<float> dy = inputs(d.batch * d.out, 0.1f, 4);
    const std::vector<float> dw0 = inputs(d.out * d.in, 0.25f, 5), db0 = inputs(d.out, 1.0f, 6);
    Tensor gdy = upload(dy);
    std::vector<float> dws[2], dbs[2], dxs[2];
    for (int r = 0; r < 2; ++r) {
      Tensor gdw = upload(dw0), gdb = upload(db0), gdx = device_nan(d.batch * d.in);
      dense_backward(gpu(), d, o.gx.data(), o.gw.data(), gdy.data(), gdw.data(), gdb.data(),
                     gdx.data());
      dws[r] = download(gdw);
      dbs[r] = download(gdb);
      dxs[r] = download(gdx);
    }
    EXPECT_TRUE(same_bits(dws[0], dws[1], "dW, " + name(d, true, false)));
    EXPECT_TRUE(same_bits(dbs[0], dbs[1], "db, " + name(d, true, false)));
    EXPECT_TRUE(same_bits(dxs[0], dxs[1], "dx, " + name(d, true, false)));
  }
}

}  // namespace
}  // namespace strata
