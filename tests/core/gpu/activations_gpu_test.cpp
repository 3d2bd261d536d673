// The CUDA activations, fill and elementwise ops against the CPU ops: every kind, forward and
// backward, odd sizes (fp32; exp and tanh are CUDA's, within a few ulp).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/ops/activations.h"
#include "core/ops/elementwise.h"
#include "core/ops/fill.h"
#include "tests/core/gpu/op_check.h"

namespace strata {
namespace {

using gpu_test::close;
using gpu_test::download;
using gpu_test::gpu;
using gpu_test::inputs;
using gpu_test::upload;

TEST(ActivationsGpu, EveryKindMatchesTheCpu) {
  for (ActivationKind kind : {ActivationKind::kReLU, ActivationKind::kLeakyReLU,
                              ActivationKind::kSigmoid, ActivationKind::kTanh}) {
    const ActivationFn f{kind, 0.2f};
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{1000}, int64_t{256} * 784 + 3}) {
      const std::vector<float> x = inputs(n, 6.0f, 1), dy = inputs(n, 1.0f, 2);
      std::vector<float> y(n), dx(n);
      activation_forward(cpu_backend(), f, x.data(), y.data(), n);
      activation_backward(cpu_backend(), f, y.data(), dy.data(), dx.data(), n);
      Tensor gx = upload(x), gy = gpu_test::device_nan(n), gdy = upload(dy),
             gdx = gpu_test::device_nan(n);
      activation_forward(gpu(), f, gx.data(), gy.data(), n);
      EXPECT_TRUE(close(download(gy), y, 1e-6f, 1e-7f, "forward"));
      // The backward from the CPU's y, so that only the gradient's arithmetic is compared.
      Tensor gy_cpu = upload(y);
      activation_backward(gpu(), f, gy_cpu.data(), gdy.data(), gdx.data(), n);
      EXPECT_TRUE(close(download(gdx), dx, 0.0f, 0.0f, "backward"));
    }
  }
}

TEST(ElementwiseGpu, FillScaleAxpyMatchTheCpu) {
  const int64_t n = 100003;
  const std::vector<float> x = inputs(n, 2.0f, 3), y0 = inputs(n, 2.0f, 4);
  Tensor gx = upload(x), gy = upload(y0), gz = gpu_test::device_nan(n);
  fill(gpu(), gz.data(), n, 0.5f);
  EXPECT_TRUE(close(download(gz), std::vector<float>(n, 0.5f), 0.0f, 0.0f, "fill"));
  std::vector<float> want = y0;
  axpy(cpu_backend(), -0.75f, x.data(), want.data(), n);
  scale(cpu_backend(), want.data(), n, 1.5f);
  axpy(gpu(), -0.75f, gx.data(), gy.data(), n);
  scale(gpu(), gy.data(), n, 1.5f);
  // nvcc contracts y + a x into one fused multiply-add (one rounding instead of two), so a value
  // may differ from the CPU's by an ulp of the terms.
  EXPECT_TRUE(close(download(gy), want, 1e-6f, 1e-6f, "axpy and scale"));
}

}  // namespace
}  // namespace strata
