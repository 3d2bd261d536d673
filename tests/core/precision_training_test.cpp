// Models trained at tf32 and bf16 on the CPU (core/precision.h: rounded operands, fp32 sums and
// master weights): the loss falls as at fp32, the values are not fp32's, and a model's precision
// can change between steps (Sequential::set_precision plans its scratch again).
#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "core/layers/activations.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"
#include "core/layers/dense.h"
#include "core/layers/reshape.h"
#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "core/rng.h"
#include "core/sequential.h"

namespace strata {
namespace {

// 16-dimensional data on a random 3-dimensional subspace (as training_test.cpp's).
Tensor low_rank_data() {
  const int64_t n = 64, d = 16, r = 3;
  Tensor basis(Shape{r, d}), x(Shape{n, d});
  RandomStream rng(5, RngPurpose::kTest, 0, 0, 0);
  for (int64_t i = 0; i < basis.numel(); ++i) basis[i] = rng.normal() / 1.7f;
  for (int64_t s = 0; s < n; ++s) {
    float c[3] = {rng.normal(), rng.normal(), rng.normal()};
    for (int64_t j = 0; j < d; ++j)
      x[s * d + j] = c[0] * basis[j] + c[1] * basis[d + j] + c[2] * basis[2 * d + j];
  }
  return x;
}

Sequential mlp(Precision p) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 8}));
  m.add(std::make_unique<Activation>(ActivationKind::kTanh));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 16}));
  m.build(Shape{16}, 1);
  m.set_precision(p);
  return m;
}

// Trains m to reconstruct x with MSE and Adam; returns the first and the last loss.
std::pair<float, float> train(Sequential& m, const Tensor& x, int steps) {
  MSELoss loss;
  Adam opt(AdamOptions{.lr = 1e-2f});
  Tensor dy(x.shape());
  StepContext ctx;
  float first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    ctx.step = step;
    m.zero_grads();
    last = loss.forward_backward(m.forward(x, ctx), x, dy);
    if (step == 0) first = last;
    m.backward(dy, ctx, false);
    opt.step(m.params(), m.grads());
  }
  return {first, last};
}

TEST(PrecisionTraining, MlpAutoencoderConvergesAtTf32AndBf16) {
  const Tensor x = low_rank_data();
  Sequential ref = mlp(Precision::kFp32);
  const auto [first32, last32] = train(ref, x, 300);
  for (Precision p : {Precision::kTf32, Precision::kBf16}) {
    Sequential m = mlp(p);
    const auto [first, last] = train(m, x, 300);
    EXPECT_GT(first, 0.3f) << precision_name(p);
    EXPECT_LT(last, 0.02f) << precision_name(p) << ": loss went from " << first << " to " << last;
    EXPECT_NE(last, last32) << precision_name(p) << " trained exactly as fp32";
  }
}

TEST(PrecisionTraining, ConvAutoencoderLossFallsAtBf16) {
  // 1x8x8 images of one bright bar; conv (stride 2) then transposed conv back.
  const int64_t n = 32;
  Tensor x(Shape{n, 1, 8, 8});
  RandomStream rng(9, RngPurpose::kTest, 1, 0, 0);
  for (int64_t s = 0; s < n; ++s) {
    const int pos = static_cast<int>(rng.uniform() * 8) % 8;
    for (int i = 0; i < 64; ++i)
      x[s * 64 + i] = ((s % 2 ? i / 8 : i % 8) == pos ? 1.0f : 0.0f) + 0.05f * rng.normal();
  }
  Sequential m;
  m.add(std::make_unique<Conv2D>(Conv2DOptions{.filters = 6,
                                               .kernel_h = 4,
                                               .kernel_w = 4,
                                               .stride_h = 2,
                                               .stride_w = 2,
                                               .padding_mode = PaddingMode::kSame}));
  m.add(std::make_unique<Activation>(ActivationKind::kReLU));
  m.add(std::make_unique<ConvTranspose2D>(ConvTranspose2DOptions{
      .filters = 1, .kernel_h = 4, .kernel_w = 4, .stride_h = 2, .stride_w = 2, .same = true}));
  m.build(Shape{1, 8, 8}, 3);
  m.set_precision(Precision::kBf16);
  const auto [first, last] = train(m, x, 150);
  EXPECT_LT(last, 0.5f * first) << "loss went from " << first << " to " << last;
}

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}

TEST(PrecisionTraining, PrecisionChangesBetweenStepsAndFp32IsUnchanged) {
  const Tensor x = low_rank_data();
  StepContext ctx;
  Sequential fresh32 = mlp(Precision::kFp32), fresh16 = mlp(Precision::kBf16);
  const std::vector<float> y32 = values(fresh32.forward(x, ctx));
  const std::vector<float> y16 = values(fresh16.forward(x, ctx));
  Sequential m;  // never told its precision: fp32
  m.add(std::make_unique<Dense>(DenseOptions{.units = 8}));
  m.add(std::make_unique<Activation>(ActivationKind::kTanh));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 16}));
  m.build(Shape{16}, 1);
  EXPECT_EQ(values(m.forward(x, ctx)), y32);
  m.set_precision(Precision::kBf16);
  EXPECT_EQ(values(m.forward(x, ctx)), y16);
  EXPECT_NE(y16, y32);
  m.set_precision(Precision::kFp32);
  EXPECT_EQ(values(m.forward(x, ctx)), y32);
}

// Off the CPU (the emulated device here; a GPU) the workspace lives in device memory and a Dense
// followed by a ReLU runs fused: at bf16 the values and gradients are still the CPU's.
TEST(PrecisionTraining, Bf16OnTheEmulatedDeviceIsTheCpus) {
  auto net = [](Device device) {
    Sequential m;
    m.add(
        std::make_unique<Conv2D>(Conv2DOptions{.filters = 3, .padding_mode = PaddingMode::kSame}));
    m.add(std::make_unique<Activation>(ActivationKind::kReLU));
    m.add(std::make_unique<Reshape>());
    m.add(std::make_unique<Dense>(DenseOptions{.units = 6}));
    m.add(std::make_unique<Activation>(ActivationKind::kReLU));
    m.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
    m.build(Shape{1, 5, 5}, 9, device);
    m.set_precision(Precision::kBf16);
    return m;
  };
  Sequential cpu = net(Device::cpu()), dev = net(Device::emulated());
  Tensor x(Shape{3, 1, 5, 5}), dy(Shape{3, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.37f * static_cast<float>(i % 11) - 1.3f;
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = 0.21f * static_cast<float>(i % 5) - 0.4f;
  const std::vector<float> y_cpu = values(cpu.forward(x, StepContext{}));
  const Tensor x_dev = x.to(Device::emulated());
  EXPECT_EQ(values(dev.forward(x_dev, StepContext{}).to(Device::cpu())), y_cpu);
  cpu.backward(dy, StepContext{}, false);
  dev.backward(dy.to(Device::emulated()), StepContext{}, false);
  EXPECT_EQ(values(dev.grads().to(Device::cpu())), values(cpu.grads()));
}

}  // namespace
}  // namespace strata
