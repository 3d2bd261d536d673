// The CUDA activation kernels' bodies, run on the CPU as their launch would run them, give the CPU
// op's values bit for bit (forward and backward, every kind, odd sizes).
#include "core/ops/kernels/activations.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/activations.h"
#include "tests/support/emulate_launch.h"

namespace strata {
namespace {

std::vector<float> ramp(int64_t n, float scale) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * static_cast<float>(i) + 0.1f);
  return v;
}

class ActivationBodies : public ::testing::TestWithParam<ActivationKind> {};

TEST_P(ActivationBodies, EqualTheCpuOp) {
  const ActivationFn f{GetParam(), 0.2f};
  for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{257}, int64_t{20000}}) {
    const std::vector<float> x = ramp(n, 6.0f), dy = ramp(n + 5, 1.5f);
    std::vector<float> y_cpu(n), y_gpu(n), dx_cpu(n), dx_gpu(n);
    activation_forward(cpu_backend(), f, x.data(), y_cpu.data(), n);
    test::emulate_grid_stride(n, ActivationForwardBody{f, x.data(), y_gpu.data()});
    activation_backward(cpu_backend(), f, y_cpu.data(), dy.data(), dx_cpu.data(), n);
    test::emulate_grid_stride(n, ActivationBackwardBody{f, y_cpu.data(), dy.data(), dx_gpu.data()});
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(y_gpu[i], y_cpu[i]) << "forward, n " << n << " index " << i;
      ASSERT_EQ(dx_gpu[i], dx_cpu[i]) << "backward, n " << n << " index " << i;
    }
  }
}

std::string kind_name(const ::testing::TestParamInfo<ActivationKind>& info) {
  static const char* const kNames[] = {"ReLU", "LeakyReLU", "Sigmoid", "Tanh"};
  return kNames[static_cast<int>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Kinds, ActivationBodies,
                         ::testing::Values(ActivationKind::kReLU, ActivationKind::kLeakyReLU,
                                           ActivationKind::kSigmoid, ActivationKind::kTanh),
                         kind_name);

}  // namespace
}  // namespace strata
