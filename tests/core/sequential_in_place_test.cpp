// Sequential's in-place activations: which layers run in place (only over values nobody reads
// after), that the values are those of the out-of-place model bit for bit (on the CPU and the
// emulated device), that a reader of an overwritten output is told to keep it, and that the
// memory the model holds (Sequential::memory) is what it allocates and shrinks by the outputs the
// in-place layers no longer own, computed from the shapes. Off the CPU a ReLU after a Dense is
// fused into the Dense (Layer::can_fuse_relu), in place or not: it owns no output either way.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/dense.h"
#include "core/layers/reshape.h"
#include "core/memory.h"
#include "core/sequential.h"

namespace strata {
namespace {

constexpr int64_t kBatch = 3;

// 0 tanh            the model's input is the caller's: not in place
// 1 dense 6
// 2 sigmoid         in place over 1
// 3 tanh            its input (2) is needed by 2's backward: not in place
// 4 dense 8
// 5 reshape 2x4
// 6 leaky_relu      in place over 4, through the view 5
// 7 flatten
// 8 dense 3
// 9 relu            in place over 8 (the model's output)
Sequential chain(Device device = Device::cpu()) {
  Sequential m;
  m.add(std::make_unique<Activation>(ActivationKind::kTanh));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 6}));
  m.add(std::make_unique<Activation>(ActivationKind::kSigmoid));
  m.add(std::make_unique<Activation>(ActivationKind::kTanh));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 8}));
  m.add(std::make_unique<Reshape>(std::vector<int64_t>{2, 4}));
  m.add(std::make_unique<Activation>(ActivationKind::kLeakyReLU, 0.2f));
  m.add(std::make_unique<Reshape>());
  m.add(std::make_unique<Dense>(DenseOptions{.units = 3}));
  m.add(std::make_unique<Activation>(ActivationKind::kReLU));
  m.build(Shape{5}, 4, device);
  return m;
}

Tensor input() {
  Tensor x(Shape{kBatch, 5});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.37f * static_cast<float>(i % 11) - 1.6f;
  return x;
}

Tensor output_grad() {
  Tensor dy(Shape{kBatch, 3});
  for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = 0.21f * static_cast<float>(i % 5) - 0.3f;
  return dy;
}

std::vector<int> in_place_layers(const Sequential& m) {
  std::vector<int> r;
  for (int i = 0; i < m.num_layers(); ++i)
    if (m.runs_in_place(i)) r.push_back(i);
  return r;
}

std::vector<int> overwritten_layers(const Sequential& m) {
  std::vector<int> r;
  for (int i = 0; i < m.num_layers(); ++i)
    if (m.activation_overwritten(i)) r.push_back(i);
  return r;
}

TEST(SequentialInPlace, RunsInPlaceOnlyOverValuesNobodyReads) {
  Sequential m = chain();
  const Tensor x = input();
  m.forward(x, StepContext{});
  EXPECT_EQ(in_place_layers(m), (std::vector<int>{2, 6, 9}));
  EXPECT_EQ(overwritten_layers(m), (std::vector<int>{1, 4, 5, 8}));
  EXPECT_EQ(m.activation_shape(5), (Shape{kBatch, 2, 4}));    // also when overwritten
  EXPECT_EQ(m.activation(7).data(), m.activation(6).data());  // 6 wrote 4's memory; 7 views it

  m.keep_activation(4);  // a reader of 4's output: 6 gets its own buffer
  m.forward(x, StepContext{});
  EXPECT_EQ(in_place_layers(m), (std::vector<int>{2, 9}));
  m.add_output_grad_hook(1, [](const Tensor&, Tensor&) {});  // the hook reads 1's output
  m.forward(x, StepContext{});
  EXPECT_EQ(in_place_layers(m), (std::vector<int>{9}));
  EXPECT_EQ(overwritten_layers(m), (std::vector<int>{8}));
  m.set_in_place(false);
  m.forward(x, StepContext{});
  EXPECT_TRUE(in_place_layers(m).empty());
  EXPECT_TRUE(overwritten_layers(m).empty());
}

TEST(SequentialInPlace, ReadingAnOverwrittenOutputNamesKeepActivation) {
  Sequential m = chain(), plain = chain();
  plain.set_in_place(false);
  const Tensor x = input();
  m.forward(x, StepContext{});
  try {
    (void)m.activation(4);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("keep_activation(4)"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("6.leaky_relu"), std::string::npos) << e.message();
  }
  m.keep_activation(4);
  m.forward(x, StepContext{});
  plain.forward(x, StepContext{});
  const Tensor& a = m.activation(4);
  const Tensor& b = plain.activation(4);
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a[i], b[i]) << i;
}

// Forward, input gradients and parameter gradients of two steps, in place and not, bit for bit;
// the caller's dy is left as it was (the last layer runs in place, and its dx is never written
// over a dy the model does not own).
void expect_same_as_out_of_place(Device device) {
  Sequential a = chain(device), b = chain(device);
  b.set_in_place(false);
  const Tensor dy_host = output_grad();
  for (int step = 0; step < 2; ++step) {
    Tensor x_host = input();
    for (int64_t i = 0; i < x_host.numel(); ++i) x_host[i] *= 1.0f + 0.5f * step;
    const Tensor x = x_host.to(device), dy = dy_host.to(device);
    std::vector<Tensor> outs, dxs, grads;
    for (Sequential* m : {&a, &b}) {
      m->zero_grads();
      outs.push_back(m->forward(x, StepContext{}).to(Device::cpu()));
      dxs.push_back(m->backward(dy, StepContext{}, true)->to(Device::cpu()));
      grads.push_back(m->grads().to(Device::cpu()));
    }
    // Off the CPU the Dense runs the last ReLU in its GEMM (fused) instead.
    EXPECT_EQ(in_place_layers(a),
              device.is_cpu() ? (std::vector<int>{2, 6, 9}) : (std::vector<int>{2, 6}));
    const Tensor dy_after = dy.to(Device::cpu());
    for (int64_t i = 0; i < dy_after.numel(); ++i) ASSERT_EQ(dy_after[i], dy_host[i]) << i;
    for (int k = 0; k < 3; ++k) {
      const Tensor& p = k == 0 ? outs[0] : k == 1 ? dxs[0] : grads[0];
      const Tensor& q = k == 0 ? outs[1] : k == 1 ? dxs[1] : grads[1];
      ASSERT_EQ(p.numel(), q.numel());
      for (int64_t i = 0; i < p.numel(); ++i)
        ASSERT_EQ(p[i], q[i]) << "step " << step << ", "
                              << (k == 0   ? "y"
                                  : k == 1 ? "dx"
                                           : "dW")
                              << " " << i;
    }
  }
}

TEST(SequentialInPlace, SameValuesAsOutOfPlaceOnTheCpu) {
  expect_same_as_out_of_place(Device::cpu());
}

TEST(SequentialInPlace, SameValuesAsOutOfPlaceOnTheEmulatedDevice) {
  expect_same_as_out_of_place(Device::emulated());
}

// The model's allocations on its device, from build through a forward and a backward, are the
// memory() it reports; in place, the activations shrink by the outputs of layers 2, 6 and 9
// (6, 8 and 3 values a sample), each an allocation of its own when out of place (9 not off the
// CPU: fused).
void expect_memory_from_shapes(Device device) {
  const bool fused = !device.is_cpu();
  const Tensor x = input().to(device), dy = output_grad().to(device);
  ModelMemory held[2];
  for (bool in_place : {true, false}) {
    const int64_t before = memory_stats(device).current_bytes;
    {
      Sequential m = chain(device);
      m.set_in_place(in_place);
      m.forward(x, StepContext{});
      m.backward(dy, StepContext{}, true);
      held[in_place] = m.memory();
      EXPECT_EQ(memory_stats(device).current_bytes - before, held[in_place].total())
          << device.str() << (in_place ? " in place" : " out of place");
    }
    EXPECT_EQ(memory_stats(device).current_bytes, before);  // all freed with the model
  }
  auto bytes = [&](int64_t values) {
    return accounted_bytes(device, static_cast<size_t>(values) * sizeof(float));
  };
  const int64_t relu = fused ? 0 : bytes(kBatch * 3);
  EXPECT_EQ(held[false].activations - held[true].activations,
            bytes(kBatch * 6) + bytes(kBatch * 8) + relu);
  // Out of place every layer but the two views owns its output: 5, 6, 6, 6, 8, 8, 3, 3 values.
  EXPECT_EQ(held[false].activations, bytes(kBatch * 5) + 3 * bytes(kBatch * 6) +
                                         2 * bytes(kBatch * 8) + bytes(kBatch * 3) + relu);
  // The two input-gradient buffers. Backward writes dx into one buffer and flips to the other,
  // except that an activation writes dx over a dy of the model's own. Out of place: 9 -> A (3),
  // 8 -> B (8), 6 -> A (8), 4 -> B (6), 3 -> A (6), 2 -> B (6), 1 -> A (5), 0 -> B (5): 8 and 8
  // values a sample. In place (and with the last ReLU fused): 9 -> A (3; dy is the caller's),
  // 8 -> B (8), 6 over dy, 4 -> A (6), 3 and 2 over dy, 1 -> B (5), 0 over dy: 6 and 8.
  EXPECT_EQ(held[false].input_grads, 2 * bytes(kBatch * 8));
  EXPECT_EQ(held[true].input_grads, bytes(kBatch * 6) + bytes(kBatch * 8));
  const int64_t params = (5 * 6 + 6) + (6 * 8 + 8) + (8 * 3 + 3);  // before 16-value alignment
  EXPECT_GE(held[true].params, bytes(params));
  EXPECT_EQ(held[true].grads, held[true].params);
}

TEST(SequentialInPlace, MemoryFromShapesOnTheCpu) {
  expect_memory_from_shapes(Device::cpu());
}

TEST(SequentialInPlace, MemoryFromShapesOnTheEmulatedDevice) {
  expect_memory_from_shapes(Device::emulated());
}

}  // namespace
}  // namespace strata
