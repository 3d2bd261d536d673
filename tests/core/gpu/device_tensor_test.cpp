// The device axis on a real GPU: tensors in CUDA device memory, host accessors refusing them,
// explicit copies between the host and the device (synchronous and on a stream), a model built on
// the GPU (flat parameters, gradients and layer state in device memory, initialised as on the CPU),
// and a clear error for a step on a device whose ops are not built yet. Needs a CUDA GPU, so ctest
// registers it only with -DSTRATA_TEST_GPU=ON (tests/CMakeLists.txt); without one the program says
// so and exits 77, which ctest shows as skipped (tests/support/gpu_test_main.cpp).
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/dense.h"
#include "core/memory.h"
#include "core/sequential.h"
#include "core/tensor.h"

namespace strata {
namespace {

const Device kGpu = Device::cuda(0);

Tensor host_ramp(int64_t n) {
  Tensor t(Shape{n});
  for (int64_t i = 0; i < n; ++i) t[i] = 0.5f * static_cast<float>(i) - 3.0f;
  return t;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DeviceTensor, LivesInDeviceMemory) {
  Tensor t(Shape{3, 5}, kGpu);
  EXPECT_EQ(t.device(), kGpu);
  EXPECT_EQ(t.numel(), 15);
  cudaPointerAttributes attr{};
  ASSERT_EQ(cudaPointerGetAttributes(&attr, t.data()), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeDevice);
  EXPECT_EQ(attr.device, 0);
}

TEST(DeviceTensor, HostAccessorsRefuseItNamingTheDevice) {
  Tensor t(Shape{4}, kGpu);
  Tensor host(Shape{4});
  for (const std::string& e : {error_of([&] { (void)t[0]; }), error_of([&] { t.fill(1.0f); }),
                               error_of([&] { t.copy_from(host); })}) {
    EXPECT_NE(e.find("cuda:0"), std::string::npos) << e;
    EXPECT_NE(e.find("to(Device::cpu())"), std::string::npos) << e;
  }
}

TEST(DeviceTensor, CopiesBetweenHostAndDeviceKeepEveryValue) {
  const int64_t n = 100003;  // not a multiple of anything
  const Tensor host = host_ramp(n);
  const Tensor on_gpu = host.to(kGpu);
  ASSERT_EQ(on_gpu.device(), kGpu);
  const Tensor twice = on_gpu.to(kGpu);  // device to device
  const Tensor back = twice.to(Device::cpu());
  ASSERT_TRUE(back.on_cpu());
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(back[i], host[i]) << "value " << i;

  // On a stream of our own, asynchronously: the values are there once the stream is done.
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  Tensor dev(Shape{n}, kGpu);
  Tensor out(Shape{n});
  copy(dev, host, stream, /*async=*/true);
  copy(out, dev, stream, /*async=*/true);
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  ASSERT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], host[i]) << "value " << i;

  EXPECT_NE(error_of([&] {
              Tensor small(Shape{3}, kGpu);
              copy(small, host);
            }).find("sizes differ"),
            std::string::npos);
}

TEST(DeviceTensor, OutOfMemoryIsAClearError) {
  const std::string e = error_of([] { allocator_for(kGpu).allocate(size_t{1} << 50); });
  EXPECT_NE(e.find("out of GPU memory on cuda:0"), std::string::npos) << e;
}

Sequential mlp_with_batchnorm(Device device) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 6}));
  m.add(std::make_unique<BatchNorm>(BatchNormOptions{}));
  m.add(std::make_unique<Activation>(ActivationKind::kReLU));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 3}));
  m.build(Shape{5}, 7, device);
  return m;
}

TEST(DeviceModel, BuildsOnTheGpuWithTheCpusInitialValues) {
  Sequential cpu = mlp_with_batchnorm(Device::cpu());
  Sequential gpu = mlp_with_batchnorm(kGpu);
  EXPECT_EQ(gpu.device(), kGpu);
  EXPECT_EQ(gpu.params().device(), kGpu);
  EXPECT_EQ(gpu.grads().device(), kGpu);
  ASSERT_EQ(gpu.num_params(), cpu.num_params());
  const Tensor params = gpu.params().to(Device::cpu());
  for (int64_t i = 0; i < cpu.num_params(); ++i) ASSERT_EQ(params[i], cpu.params()[i]) << i;
  const std::vector<Tensor*> state = gpu.state(), cpu_state = cpu.state();
  ASSERT_EQ(state.size(), 2u);  // BatchNorm's running mean and variance
  for (size_t s = 0; s < state.size(); ++s) {
    EXPECT_EQ(state[s]->device(), kGpu);
    const Tensor v = state[s]->to(Device::cpu());
    for (int64_t i = 0; i < v.numel(); ++i) EXPECT_EQ(v[i], (*cpu_state[s])[i]);
  }
}

TEST(DeviceModel, AForwardAndBackwardStepRunOnTheGpu) {
  Sequential cpu = mlp_with_batchnorm(Device::cpu());
  Sequential gpu = mlp_with_batchnorm(kGpu);
  Tensor x(Shape{4, 5});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
  const Tensor gx = x.to(kGpu);
  StepContext ctx;
  ctx.backend = &cpu.backend();
  const Tensor& y_cpu = cpu.forward(x, ctx);
  ctx.backend = &gpu.backend();
  const Tensor y_gpu = gpu.forward(gx, ctx).to(Device::cpu());
  for (int64_t i = 0; i < y_cpu.numel(); ++i) EXPECT_NEAR(y_gpu[i], y_cpu[i], 1e-5f) << i;
}

}  // namespace
}  // namespace strata
