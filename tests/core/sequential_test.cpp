// Sequential: the flat parameter/gradient buffers, the backward hooks, and that a steady-state
// training step allocates no heap memory.
#include <gtest/gtest.h>

#include <memory>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"
#include "core/layers/dense.h"
#include "core/layers/dropout.h"
#include "core/layers/pooling.h"
#include "core/layers/reshape.h"
#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "core/sequential.h"
#include "tests/support/heap_counter.h"

namespace strata {
namespace {

Sequential small_mlp() {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
  m.add(std::make_unique<Activation>(ActivationKind::kReLU));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 3, .bias = false}));
  m.build(Shape{5}, 1);
  return m;
}

TEST(Sequential, ParametersAreViewsIntoOneFlatBuffer) {
  Sequential m = small_mlp();
  auto& ps = m.named_params();
  ASSERT_EQ(ps.size(), 3u);
  EXPECT_EQ(ps[0].name, "0.dense.weight");
  EXPECT_EQ(ps[1].name, "0.dense.bias");
  EXPECT_EQ(ps[2].name, "2.dense.weight");
  EXPECT_FALSE(ps[1].decay);
  for (auto& p : ps) {
    EXPECT_EQ(p.value.data(), m.params().data() + p.offset);
    EXPECT_EQ(p.grad.data(), m.grads().data() + p.offset);
    EXPECT_EQ(p.offset % 16, 0);  // 64-byte aligned
  }
  EXPECT_EQ(m.layer_param_count(1), 0);
  EXPECT_EQ(m.layer_param_offset(2), ps[2].offset);
  EXPECT_GE(m.num_params(), 5 * 4 + 4 + 4 * 3);
}

TEST(Sequential, SameSeedSameInitialParameters) {
  Sequential a = small_mlp(), b = small_mlp();
  for (int64_t i = 0; i < a.num_params(); ++i) ASSERT_EQ(a.params()[i], b.params()[i]);
}

TEST(Sequential, GradsReadyHookRunsInReverseLayerOrder) {
  Sequential m = small_mlp();
  std::vector<int> order;
  m.set_grads_ready_hook([&](int layer) { order.push_back(layer); });
  Tensor x(Shape{2, 5}), dy(Shape{2, 3});
  dy.fill(1.0f);
  m.forward(x, StepContext{});
  m.backward(dy, StepContext{}, false);
  EXPECT_EQ(order, (std::vector<int>{2, 1, 0}));
}

TEST(Sequential, OutputGradHookAddsToTheLayerGradient) {
  Sequential a = small_mlp(), b = small_mlp();
  b.add_output_grad_hook(1, [](const Tensor&, Tensor& dy) {
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] += 1.0f;
  });
  Tensor x(Shape{2, 5}), dy(Shape{2, 3});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.1f * static_cast<float>(i) - 0.3f;
  dy.fill(0.5f);
  for (Sequential* m : {&a, &b}) {
    m->zero_grads();
    m->forward(x, StepContext{});
    m->backward(dy, StepContext{}, false);
  }
  // The first layer's gradient differs; the last layer's (after the hook point) does not.
  EXPECT_NE(a.named_params()[0].grad[0], b.named_params()[0].grad[0]);
  EXPECT_EQ(a.named_params()[2].grad[0], b.named_params()[2].grad[0]);
}

// Reshape and Flatten are views: their outputs and input gradients are the neighbours' memory
// with another shape, and the model's values are those of explicit copies (a Dense on the
// flattened output sees the same numbers, and gradients flow back unchanged), hooks included.
TEST(Sequential, ReshapeAndFlattenAreViews) {
  Sequential m;
  m.add(std::make_unique<Reshape>(std::vector<int64_t>{2, 3}));  // 6 -> 2x3
  m.add(std::make_unique<Reshape>());                            // flatten: 6
  m.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
  m.add(std::make_unique<Reshape>(std::vector<int64_t>{2, 2}));  // the output, a view too
  m.build(Shape{6}, 3);
  Tensor x(Shape{5, 6});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.05f * static_cast<float>(i) - 0.7f;
  const Tensor& y = m.forward(x, StepContext{});
  EXPECT_EQ(m.activation(0).data(), x.data());
  EXPECT_EQ(m.activation(1).data(), x.data());
  EXPECT_EQ(m.activation(1).shape(), (Shape{5, 6}));
  EXPECT_EQ(y.data(), m.activation(2).data());
  EXPECT_EQ(y.shape(), (Shape{5, 2, 2}));

  Sequential plain;  // the same Dense without the views
  plain.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
  plain.build(Shape{6}, 3);
  const Tensor& y2 = plain.forward(x, StepContext{});
  for (int64_t i = 0; i < y2.numel(); ++i) ASSERT_EQ(y[i], y2[i]);

  Tensor dy(Shape{5, 2, 2});
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = 0.1f * static_cast<float>(i % 7) - 0.2f;
  // A hook on the view at the end must not write into the caller's dy.
  m.add_output_grad_hook(3, [](const Tensor&, Tensor& g) { g[0] += 1.0f; });
  const float dy0 = dy[0];
  m.zero_grads();
  const Tensor* dx = m.backward(dy, StepContext{}, true);
  EXPECT_EQ(dy[0], dy0);
  ASSERT_NE(dx, nullptr);
  EXPECT_EQ(dx->shape(), (Shape{5, 6}));
  Tensor dy2 = dy.reshaped(Shape{5, 4});
  Tensor own(Shape{5, 4});
  own.copy_from(dy2);
  own[0] += 1.0f;
  plain.zero_grads();
  const Tensor* dx2 = plain.backward(own, StepContext{}, true);
  for (int64_t i = 0; i < dx2->numel(); ++i) ASSERT_EQ((*dx)[i], (*dx2)[i]);
  for (int64_t i = 0; i < m.grads().numel(); ++i) ASSERT_EQ(m.grads()[i], plain.grads()[i]);
}

// Off the CPU (a GPU, or the emulated device here) a Dense followed by a ReLU runs both in its
// forward: the ReLU's output is the Dense's memory, the values and gradients are the unfused
// model's, and a hook on the Dense's output keeps the two apart.
TEST(Sequential, DenseThenReluFuseOffTheCpu) {
  auto mlp = [](Device device) {
    Sequential m;
    m.add(std::make_unique<Dense>(DenseOptions{.units = 6}));
    m.add(std::make_unique<Activation>(ActivationKind::kReLU));
    m.add(std::make_unique<Dense>(DenseOptions{.units = 3}));
    m.build(Shape{5}, 9, device);
    return m;
  };
  Sequential cpu = mlp(Device::cpu()), dev = mlp(Device::emulated());
  Tensor x(Shape{4, 5}), dy(Shape{4, 3});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.3f * static_cast<float>(i % 9) - 1.1f;
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = 0.2f * static_cast<float>(i % 5) - 0.4f;
  for (bool hook : {false, true}) {
    if (hook)
      for (Sequential* m : {&cpu, &dev}) m->add_output_grad_hook(0, [](const Tensor&, Tensor&) {});
    cpu.zero_grads();
    dev.zero_grads();
    const Tensor y_cpu = cpu.forward(x, StepContext{});
    const Tensor x_dev = x.to(Device::emulated());  // alive until backward, as a batch is
    const Tensor y_dev = dev.forward(x_dev, StepContext{}).to(Device::cpu());
    // Fused off the CPU (the ReLU is the Dense's memory), in place on it; neither with the hook.
    EXPECT_EQ(dev.activation_overwritten(0), !hook) << "hook " << hook;
    EXPECT_FALSE(dev.runs_in_place(1));
    EXPECT_EQ(cpu.activation_overwritten(0), !hook) << "hook " << hook;
    EXPECT_EQ(cpu.runs_in_place(1), !hook) << "hook " << hook;
    for (int64_t i = 0; i < y_cpu.numel(); ++i) ASSERT_EQ(y_dev[i], y_cpu[i]) << i;
    cpu.backward(dy, StepContext{}, false);
    dev.backward(dy.to(Device::emulated()), StepContext{}, false);
    const Tensor g = dev.grads().to(Device::cpu());
    for (int64_t i = 0; i < g.numel(); ++i) ASSERT_EQ(g[i], cpu.grads()[i]) << i;
  }
}

TEST(Sequential, WrongInputShapeIsAnError) {
  Sequential m = small_mlp();
  Tensor x(Shape{2, 6});
  EXPECT_THROW(m.forward(x, StepContext{}), Error);
}

TEST(Sequential, ShapeMismatchAtBuildNamesTheLayer) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
  try {
    m.build(Shape{1, 28, 28}, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("0.dense"), std::string::npos) << e.message();
  }
}

TEST(HeapCounter, CountsAllocations) {  // else the test below would pass vacuously
  const long before = testing::heap_allocations();
  auto p = std::make_unique<int>(1);
  EXPECT_EQ(testing::heap_allocations() - before, 1);
}

// Every kind of layer, a loss and an optimizer: after two warm-up steps, a step allocates nothing.
TEST(Sequential, SteadyStateStepAllocatesNothing) {
  Sequential m;
  m.add(std::make_unique<Conv2D>(Conv2DOptions{
      .filters = 4, .kernel_h = 3, .kernel_w = 3, .padding_mode = PaddingMode::kSame}));
  m.add(std::make_unique<BatchNorm>(BatchNormOptions{}));
  m.add(std::make_unique<Activation>(ActivationKind::kLeakyReLU, 0.2f));
  m.add(std::make_unique<MaxPool2D>(MaxPool2DOptions{}));
  m.add(std::make_unique<Upsample2D>(Upsample2DOptions{}));
  m.add(std::make_unique<ConvTranspose2D>(ConvTranspose2DOptions{.filters = 2,
                                                                 .kernel_h = 4,
                                                                 .kernel_w = 4,
                                                                 .stride_h = 2,
                                                                 .stride_w = 2,
                                                                 .pad_h = 1,
                                                                 .pad_w = 1}));
  m.add(std::make_unique<Reshape>());
  m.add(std::make_unique<Dropout>(0.3f));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 10}));
  m.add(std::make_unique<BatchNorm>(BatchNormOptions{}));
  m.add(std::make_unique<Activation>(ActivationKind::kSigmoid));
  m.build(Shape{1, 8, 8}, 1);
  Tensor x(Shape{16, 1, 8, 8}), target(Shape{16, 10}), dy(Shape{16, 10});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i % 7) * 0.1f;
  target.fill(0.5f);
  MSELoss loss;
  Adam opt(AdamOptions{});
  auto step = [&](uint64_t s) {
    StepContext ctx;
    ctx.step = s;
    m.zero_grads();
    loss.forward_backward(m.forward(x, ctx), target, dy);
    m.backward(dy, ctx, false);
    opt.step(m.params(), m.grads());
  };
  step(0);
  step(1);
  const long before = testing::heap_allocations();
  for (uint64_t s = 2; s < 6; ++s) step(s);
  EXPECT_EQ(testing::heap_allocations() - before, 0) << "heap allocations in 4 steady-state steps";
}

}  // namespace
}  // namespace strata
