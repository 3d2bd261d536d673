// Two models sharing their workspace and input-gradient buffers (Sequential::share_scratch), used
// as a GAN uses G and D: A's output goes into B, B's backward returns its input gradient in the
// shared buffers and A's backward takes it as dy. Whichever buffer B's input gradient lands in,
// with or without a hook on A's last layer, and although B grows the buffers after A planned,
// the values are those of two models with scratch of their own, bit for bit; the memory is one
// set of buffers, counted once (on the CPU and on the emulated device).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/dense.h"
#include "core/memory.h"
#include "core/sequential.h"

namespace strata {
namespace {

constexpr int64_t kBatch = 4;

// 3 -> 8 -> BN -> relu -> 6 (-> tanh). Without the tanh A's last layer is a Dense, whose
// backward reads all of dy while it writes dx: it must not write into dy's buffer.
Sequential model_a(Device device, bool tanh) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 8}));
  m.add(std::make_unique<BatchNorm>(BatchNormOptions{}));
  m.add(std::make_unique<Activation>(ActivationKind::kReLU));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 6}));
  if (tanh) m.add(std::make_unique<Activation>(ActivationKind::kTanh));
  m.build(Shape{3}, 21, device);
  return m;
}

// 6 -> 32 -> leaky (-> 5) -> 1. Backward writes B's input gradient into the second buffer
// (dense 1 -> first, leaky over dy, dense 32 -> second), or with the extra layer into the first.
Sequential model_b(Device device, bool extra_layer) {
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 32}));
  m.add(std::make_unique<Activation>(ActivationKind::kLeakyReLU, 0.2f));
  if (extra_layer) m.add(std::make_unique<Dense>(DenseOptions{.units = 5}));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 1}));
  m.build(Shape{6}, 22, device);
  return m;
}

struct Pair {
  Sequential a, b;
};

Pair make_pair(Device device, bool tanh, bool extra_layer, bool hook, bool shared) {
  Pair p{model_a(device, tanh), model_b(device, extra_layer)};
  if (hook)  // a hook makes A's backward copy the caller's dy into a buffer first
    p.a.add_output_grad_hook(p.a.num_layers() - 1, [](const Tensor&, Tensor&) {});
  if (shared) {
    const auto scratch = std::make_shared<SharedScratch>();
    p.a.share_scratch(scratch);
    p.b.share_scratch(scratch);
  }
  return p;
}

std::vector<float> host(const Tensor& t) {
  const Tensor h = t.to(Device::cpu());
  return std::vector<float>(h.data(), h.data() + h.numel());
}

// Three steps of A -> B forward, B backward (input gradient wanted), A backward; the gradients
// of both models and B's input gradient of every step.
std::vector<std::vector<float>> run(Pair& p, Device device) {
  std::vector<std::vector<float>> out;
  for (int step = 0; step < 3; ++step) {
    Tensor z_host(Shape{kBatch, 3}), dy_host(Shape{kBatch, 1});
    for (int64_t i = 0; i < z_host.numel(); ++i)
      z_host[i] = 0.3f * static_cast<float>((i + step) % 7) - 0.8f;
    for (int64_t i = 0; i < dy_host.numel(); ++i) dy_host[i] = 0.25f * static_cast<float>(i) - 0.4f;
    const Tensor z = z_host.to(device), dy = dy_host.to(device);
    StepContext ctx;
    ctx.step = static_cast<uint64_t>(step);
    p.a.zero_grads();
    p.b.zero_grads();
    const Tensor& fake = p.a.forward(z, ctx);
    p.b.forward(fake, ctx);
    const Tensor* dfake = p.b.backward(dy, ctx, true);
    out.push_back(host(*dfake));
    p.a.backward(*dfake, ctx, false);
    out.push_back(host(p.a.grads()));
    out.push_back(host(p.b.grads()));
  }
  return out;
}

void expect_shared_as_own(Device device) {
  for (int variant = 0; variant < 8; ++variant) {
    const bool tanh = variant & 1, extra = variant & 2, hook = variant & 4;
    Pair own = make_pair(device, tanh, extra, hook, false);
    Pair shared = make_pair(device, tanh, extra, hook, true);
    const int64_t before = memory_stats(device).current_bytes;
    const auto want = run(own, device);
    const auto got = run(shared, device);
    ASSERT_EQ(want.size(), got.size());
    for (size_t k = 0; k < want.size(); ++k) {
      ASSERT_EQ(want[k].size(), got[k].size());
      for (size_t i = 0; i < want[k].size(); ++i)
        ASSERT_EQ(want[k][i], got[k][i])
            << device.str() << (tanh ? " A ends in tanh" : " A ends in a dense")
            << (extra ? ", B's input gradient in the first buffer" : "")
            << (hook ? " with a hook" : "") << ": result " << k << ", value " << i;
    }
    const ModelMemory ma = shared.a.memory(), mb = shared.b.memory();
    EXPECT_GT(ma.shared, 0);
    EXPECT_EQ(ma.shared, mb.shared);  // the same buffers, after A planned again
    EXPECT_EQ(ma.input_grads, mb.input_grads);
    // One set of buffers: both are B's larger need (32 values a sample), A's (8) fits in them.
    EXPECT_EQ(ma.input_grads,
              2 * accounted_bytes(device, static_cast<size_t>(kBatch * 32) * sizeof(float)));
    // What the steps allocated (the parameters were there before): the shared pair's
    // buffers once, and in each pair the last z, which A keeps as its input until its next forward.
    auto planned = [](const ModelMemory& m) { return m.total() - m.params - m.grads; };
    const int64_t own_bytes = planned(own.a.memory()) + planned(own.b.memory());
    const int64_t shared_bytes = planned(ma) + planned(mb) - mb.shared;
    const int64_t z = accounted_bytes(device, static_cast<size_t>(kBatch * 3) * sizeof(float));
    EXPECT_EQ(memory_stats(device).current_bytes - before, own_bytes + shared_bytes + 2 * z);
  }
}

TEST(SequentialSharedScratch, SameValuesAsOwnScratchOnTheCpu) {
  expect_shared_as_own(Device::cpu());
}

TEST(SequentialSharedScratch, SameValuesAsOwnScratchOnTheEmulatedDevice) {
  expect_shared_as_own(Device::emulated());
}

TEST(SequentialSharedScratch, ModelsOnTwoDevicesCannotShare) {
  Sequential a = model_a(Device::cpu(), true), b = model_b(Device::emulated(), false);
  const auto scratch = std::make_shared<SharedScratch>();
  a.share_scratch(scratch);
  b.share_scratch(scratch);
  Tensor z(Shape{kBatch, 3});
  z.fill(0.5f);
  a.forward(z, StepContext{});
  const Tensor x = Tensor(Shape{kBatch, 6}).to(Device::emulated());
  EXPECT_THROW(b.forward(x, StepContext{}), Error);
}

}  // namespace
}  // namespace strata
