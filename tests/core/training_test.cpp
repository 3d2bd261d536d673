// Small models trained a few hundred steps end to end: the loss must fall below a stated value.
#include <gtest/gtest.h>

#include <memory>

#include "core/layers/activations.h"
#include "core/layers/conv2d.h"
#include "core/layers/dense.h"
#include "core/layers/pooling.h"
#include "core/layers/reshape.h"
#include "core/losses/loss.h"
#include "core/optim/optimizer.h"
#include "core/rng.h"
#include "core/sequential.h"

namespace strata {
namespace {

// 16-dimensional data on a random 3-dimensional subspace; an 16-8-16 autoencoder with a linear
// code can reconstruct it exactly, so MSE must fall from about 1 (the data variance) to near 0.
TEST(Training, MlpAutoencoderOnLowRankData) {
  const int64_t n = 64, d = 16, r = 3;
  Tensor basis(Shape{r, d}), x(Shape{n, d});
  RandomStream rng(5, RngPurpose::kTest, 0, 0, 0);
  for (int64_t i = 0; i < basis.numel(); ++i) basis[i] = rng.normal() / 1.7f;
  for (int64_t s = 0; s < n; ++s) {
    float c[3] = {rng.normal(), rng.normal(), rng.normal()};
    for (int64_t j = 0; j < d; ++j)
      x[s * d + j] = c[0] * basis[j] + c[1] * basis[d + j] + c[2] * basis[2 * d + j];
  }
  Sequential m;
  m.add(std::make_unique<Dense>(DenseOptions{.units = 8}));
  m.add(std::make_unique<Dense>(DenseOptions{.units = 16}));
  m.build(Shape{d}, 1);
  MSELoss loss;
  Adam opt(AdamOptions{.lr = 1e-2f});
  Tensor dy(Shape{n, d});
  StepContext ctx;
  float first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    ctx.step = step;
    m.zero_grads();
    const Tensor& y = m.forward(x, ctx);
    last = loss.forward_backward(y, x, dy);
    if (step == 0) first = last;
    m.backward(dy, ctx, false);
    opt.step(m.params(), m.grads());
  }
  EXPECT_GT(first, 0.3f);
  EXPECT_LT(last, 0.01f) << "loss went from " << first << " to " << last;
}

// 8x8 images with one bright bar, horizontal (class 0) or vertical (class 1) at a random
// position, plus noise. Conv -> ReLU -> MaxPool -> Flatten -> Dense with softmax cross-entropy.
TEST(Training, ConvClassifierOnBars) {
  const int64_t n = 64;
  Tensor x(Shape{n, 1, 8, 8}), labels(Shape{n});
  RandomStream rng(9, RngPurpose::kTest, 1, 0, 0);
  for (int64_t s = 0; s < n; ++s) {
    const int cls = static_cast<int>(s % 2);
    const int pos = static_cast<int>(rng.uniform() * 8) % 8;
    labels[s] = static_cast<float>(cls);
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) {
        const bool on = cls == 0 ? i == pos : j == pos;
        x[s * 64 + i * 8 + j] = (on ? 1.0f : 0.0f) + 0.1f * rng.normal();
      }
  }
  Sequential m;
  m.add(std::make_unique<Conv2D>(Conv2DOptions{
      .filters = 4, .kernel_h = 3, .kernel_w = 3, .padding_mode = PaddingMode::kSame}));
  m.add(std::make_unique<Activation>(ActivationKind::kReLU));
  m.add(std::make_unique<MaxPool2D>(MaxPool2DOptions{}));
  m.add(std::make_unique<Reshape>());
  m.add(std::make_unique<Dense>(DenseOptions{.units = 2}));
  m.build(Shape{1, 8, 8}, 3);
  SoftmaxCrossEntropyLoss loss;
  Adam opt(AdamOptions{.lr = 1e-2f});
  Tensor dy(Shape{n, 2});
  StepContext ctx;
  float first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    ctx.step = step;
    m.zero_grads();
    last = loss.forward_backward(m.forward(x, ctx), labels, dy);
    if (step == 0) first = last;
    m.backward(dy, ctx, false);
    opt.step(m.params(), m.grads());
  }
  EXPECT_GT(first, 0.5f);  // about log(2) = 0.69 at the start
  EXPECT_LT(last, 0.05f) << "loss went from " << first << " to " << last;
}

}  // namespace
}  // namespace strata
