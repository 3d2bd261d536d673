#include "core/layers/conv2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/sequential.h"
#include "tests/core/layers/conv_reference.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

using testing::BoundLayer;

struct ConvCase {
  const char* name;
  int64_t n, c, h, w, filters, kh, kw, sh, sw;
  PaddingMode mode;
  int64_t ph, pw;
  bool bias;

  Conv2DOptions options() const {
    return Conv2DOptions{.filters = filters,
                         .kernel_h = kh,
                         .kernel_w = kw,
                         .stride_h = sh,
                         .stride_w = sw,
                         .padding_mode = mode,
                         .pad_h = ph,
                         .pad_w = pw,
                         .bias = bias};
  }
  Shape input() const { return Shape{n, c, h, w}; }
};

// Output size and top padding of one axis, written out from the definitions (TensorFlow's
// "same": out = ceil(in / s), total = max((out - 1) * s + k - in, 0), top = floor(total / 2)).
void expected_axis(PaddingMode mode, int64_t in, int64_t k, int64_t s, int64_t p, int64_t& out,
                   int64_t& top) {
  if (mode == PaddingMode::kSame) {
    out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((out - 1) * s + k - in, 0);
    top = total / 2;
  } else {
    if (mode == PaddingMode::kValid) p = 0;
    out = (in + 2 * p - k) / s + 1;
    top = p;
  }
}

const ConvCase kCases[] = {
    {"Same3x3Stride1", 2, 3, 5, 6, 4, 3, 3, 1, 1, PaddingMode::kSame, 0, 0, true},
    {"ValidNonSquareStride2", 3, 2, 7, 8, 3, 3, 2, 2, 2, PaddingMode::kValid, 0, 0, false},
    {"ExplicitMixedStride", 2, 2, 6, 5, 3, 4, 3, 2, 1, PaddingMode::kExplicit, 1, 2, true},
    {"SameAsymmetricStride2", 2, 2, 7, 7, 2, 4, 4, 2, 2, PaddingMode::kSame, 0, 0, true},
    {"SameAsymmetricStride1", 1, 1, 5, 5, 2, 4, 2, 1, 1, PaddingMode::kSame, 0, 0, false},
    {"DcganK4S2P1Batch5", 5, 3, 8, 8, 4, 4, 4, 2, 2, PaddingMode::kExplicit, 1, 1, true},
    // A kernel covering the whole image: computed as one matrix product (dcgan64's last layer).
    {"WholeImageKernelBatch7", 7, 2, 3, 4, 3, 3, 4, 1, 1, PaddingMode::kValid, 0, 0, true},
    // 1x1 outputs through the column path: groups of several images per GEMM.
    {"TinyPlanePaddedBatch7", 7, 2, 3, 3, 3, 3, 3, 3, 3, PaddingMode::kExplicit, 1, 1, true},
    {"Pointwise", 2, 4, 4, 4, 3, 1, 1, 1, 1, PaddingMode::kValid, 0, 0, true},
    {"Wider", 4, 8, 12, 12, 16, 3, 3, 1, 1, PaddingMode::kSame, 0, 0, false},
};

class Conv2DCase : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2DCase, ForwardMatchesDirectConvolution) {
  const ConvCase& k = GetParam();
  Conv2D conv(k.options());
  BoundLayer b(conv, k.input());
  int64_t oh, ow, top, left;
  expected_axis(k.mode, k.h, k.kh, k.sh, k.ph, oh, top);
  expected_axis(k.mode, k.w, k.kw, k.sw, k.pw, ow, left);
  ASSERT_EQ(b.out, (Shape{k.n, k.filters, oh, ow}));
  Tensor x(k.input()), y(b.out);
  testing::fill_random(x, 3);
  conv.forward(x, y, StepContext{});
  Tensor ref = testing::reference_conv2d(x, b.params[0], b.bias(), k.sh, k.sw, top, left, oh, ow);
  EXPECT_LT(testing::max_rel_diff(y, ref), 1e-5);
}

TEST_P(Conv2DCase, GradientCheck) {
  const ConvCase& k = GetParam();
  Conv2D conv(k.options());
  EXPECT_EQ(testing::check_layer_gradients(conv, k.input()), 0);
}

INSTANTIATE_TEST_SUITE_P(Conv2D, Conv2DCase, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Conv2D, BackwardMatchesDirectReference) {
  // Large enough that images are grouped per GEMM (groups of 5, the last of 4) and, with two or
  // more threads, each thread keeps partial gradients.
  Conv2D conv(Conv2DOptions{.filters = 16,
                            .kernel_h = 4,
                            .kernel_w = 4,
                            .stride_h = 2,
                            .stride_w = 2,
                            .pad_h = 1,
                            .pad_w = 1});
  const Shape in{19, 8, 14, 14};
  BoundLayer b(conv, in);
  Tensor x(in), y(b.out), dy(b.out), dx(in);
  testing::fill_random(x, 3);
  testing::fill_random(dy, 4);
  conv.forward(x, y, StepContext{});
  conv.backward(x, y, dy, &dx, StepContext{});
  // dL/dx of a convolution is the transposed convolution of dy with the same weights.
  Tensor ref_dx = testing::reference_conv_transpose2d(dy, b.params[0], nullptr, 2, 2, 1, 1, 14, 14);
  EXPECT_LT(testing::max_rel_diff(dx, ref_dx), 1e-5);
  Tensor ref_dw = testing::reference_conv2d_weight_grad(x, dy, 4, 4, 2, 2, 1, 1);
  EXPECT_LT(testing::max_rel_diff(b.grads[0], ref_dw), 1e-4);
  std::vector<double> db = testing::channel_sums(dy);
  for (int64_t c = 0; c < 16; ++c) EXPECT_NEAR(b.grads[1][c], db[c], 1e-4 * (1 + std::fabs(db[c])));
}

TEST(Conv2D, BackwardAccumulatesParamsAndOverwritesInputGrad) {
  Conv2D conv(Conv2DOptions{.filters = 3,
                            .kernel_h = 4,
                            .kernel_w = 4,
                            .stride_h = 2,
                            .stride_w = 2,
                            .pad_h = 1,
                            .pad_w = 1});
  const Shape in{6, 2, 8, 8};
  BoundLayer b(conv, in);
  Tensor x(in), y(b.out), dy(b.out), dx1(in), dx(in);
  testing::fill_random(x, 3);
  testing::fill_random(dy, 4);
  conv.forward(x, y, StepContext{});
  conv.backward(x, y, dy, &dx1, StepContext{});
  Tensor dw1(b.grads[0].shape()), db1(b.grads[1].shape());
  dw1.copy_from(b.grads[0]);
  db1.copy_from(b.grads[1]);

  // A second backward adds the same again; dx is overwritten, not added to.
  dx.fill(std::numeric_limits<float>::quiet_NaN());
  conv.backward(x, y, dy, &dx, StepContext{});
  for (int64_t i = 0; i < dw1.numel(); ++i)
    EXPECT_NEAR(b.grads[0][i], 2 * dw1[i], 1e-5 * (1 + std::fabs(dw1[i])));
  for (int64_t i = 0; i < db1.numel(); ++i)
    EXPECT_NEAR(b.grads[1][i], 2 * db1[i], 1e-5 * (1 + std::fabs(db1[i])));
  for (int64_t i = 0; i < dx.numel(); ++i) ASSERT_EQ(dx[i], dx1[i]);

  // param_grads = false leaves the gradients alone; dx = nullptr skips the input gradient.
  StepContext frozen;
  frozen.param_grads = false;
  b.grads[0].fill(0.0f);
  b.grads[1].fill(0.0f);
  conv.backward(x, y, dy, &dx, frozen);
  for (int64_t i = 0; i < dw1.numel(); ++i) ASSERT_EQ(b.grads[0][i], 0.0f);
  for (int64_t i = 0; i < dx.numel(); ++i) ASSERT_EQ(dx[i], dx1[i]);
  conv.backward(x, y, dy, nullptr, StepContext{});
  for (int64_t i = 0; i < dw1.numel(); ++i) EXPECT_FLOAT_EQ(b.grads[0][i], dw1[i]);
}

TEST(Conv2D, NewBatchSizeAfterSetup) {
  Conv2D conv(Conv2DOptions{
      .filters = 5, .kernel_h = 3, .kernel_w = 3, .padding_mode = PaddingMode::kSame});
  BoundLayer b(conv, Shape{4, 3, 6, 6});
  for (int64_t n : {4, 1, 9}) {
    testing::setup_layer(conv, Shape{n, 3, 6, 6});
    Tensor x(Shape{n, 3, 6, 6}), y(Shape{n, 5, 6, 6});
    testing::fill_random(x, static_cast<uint32_t>(n));
    conv.forward(x, y, StepContext{});
    Tensor ref = testing::reference_conv2d(x, b.params[0], b.bias(), 1, 1, 1, 1, 6, 6);
    EXPECT_LT(testing::max_rel_diff(y, ref), 1e-5) << "batch " << n;
  }
}

TEST(Conv2D, OutputShapes) {
  struct Row {
    Conv2DOptions o;
    Shape in, out;
  };
  const Row rows[] = {
      // dcgan28's discriminator.
      {{.filters = 64,
        .kernel_h = 4,
        .kernel_w = 4,
        .stride_h = 2,
        .stride_w = 2,
        .pad_h = 1,
        .pad_w = 1},
       {1, 1, 28, 28},
       {1, 64, 14, 14}},
      {{.filters = 128,
        .kernel_h = 4,
        .kernel_w = 4,
        .stride_h = 2,
        .stride_w = 2,
        .pad_h = 1,
        .pad_w = 1},
       {1, 64, 14, 14},
       {1, 128, 7, 7}},
      // dcgan64's last discriminator layer: 4x4 valid on 4x4.
      {{.filters = 1, .kernel_h = 4, .kernel_w = 4, .padding_mode = PaddingMode::kValid},
       {1, 512, 4, 4},
       {1, 1, 1, 1}},
      {{.filters = 2,
        .kernel_h = 3,
        .kernel_w = 5,
        .stride_h = 2,
        .stride_w = 3,
        .padding_mode = PaddingMode::kSame},
       {1, 1, 7, 10},
       {1, 2, 4, 4}},
      {{.filters = 2, .kernel_h = 3, .kernel_w = 1, .padding_mode = PaddingMode::kValid},
       {1, 1, 7, 10},
       {1, 2, 5, 10}},
  };
  for (const Row& r : rows) {
    Conv2D conv(r.o);
    EXPECT_EQ(conv.build(r.in), r.out) << r.in.str();
  }
}

TEST(Conv2D, ParamSpecs) {
  Conv2D conv(
      Conv2DOptions{.filters = 6, .kernel_h = 3, .kernel_w = 2, .init = InitSpec::Kind::kHeNormal});
  conv.build(Shape{1, 4, 8, 8});
  auto specs = conv.param_specs();
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].name, "weight");
  EXPECT_EQ(specs[0].shape, (Shape{6, 4, 3, 2}));
  EXPECT_TRUE(specs[0].decay);
  EXPECT_EQ(specs[0].init.kind, InitSpec::Kind::kHeNormal);
  EXPECT_EQ(specs[0].init.fan_in, 4 * 3 * 2);
  EXPECT_EQ(specs[0].init.fan_out, 6 * 3 * 2);
  EXPECT_EQ(specs[1].name, "bias");
  EXPECT_EQ(specs[1].shape, (Shape{6}));
  EXPECT_FALSE(specs[1].decay);
  EXPECT_EQ(specs[1].init.kind, InitSpec::Kind::kZeros);
  Conv2D nobias(Conv2DOptions{.filters = 6, .bias = false});
  nobias.build(Shape{1, 4, 8, 8});
  EXPECT_EQ(nobias.param_specs().size(), 1u);
}

std::string build_error(Layer& l, const Shape& in) {
  try {
    l.build(in);
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

TEST(Conv2D, RejectsFlatInput) {
  Conv2D conv(Conv2DOptions{.filters = 4});
  EXPECT_NE(
      build_error(conv, Shape{1, 784}).find("conv2d expects input [N, C, H, W], got [1, 784]"),
      std::string::npos)
      << build_error(conv, Shape{1, 784});
}

TEST(Conv2D, RejectsKernelLargerThanInput) {
  Conv2D conv(Conv2DOptions{
      .filters = 4, .kernel_h = 5, .kernel_w = 5, .padding_mode = PaddingMode::kValid});
  const std::string msg = build_error(conv, Shape{1, 2, 3, 3});
  EXPECT_NE(msg.find("does not fit input [1, 2, 3, 3]"), std::string::npos) << msg;
  // Explicit padding can make it fit: 3 + 2*1 = 5.
  Conv2D padded(Conv2DOptions{.filters = 4, .kernel_h = 5, .kernel_w = 5, .pad_h = 1, .pad_w = 1});
  EXPECT_EQ(padded.build(Shape{1, 2, 3, 3}), (Shape{1, 4, 1, 1}));
}

TEST(Conv2D, RejectsBadOptions) {
  EXPECT_THROW(Conv2D(Conv2DOptions{.filters = 0}), Error);
  EXPECT_THROW(Conv2D(Conv2DOptions{.filters = 2, .kernel_h = 0}), Error);
  EXPECT_THROW(Conv2D(Conv2DOptions{.filters = 2, .stride_w = 0}), Error);
  EXPECT_THROW(Conv2D(Conv2DOptions{.filters = 2, .pad_h = -1}), Error);
}

TEST(Conv2D, ModelNamesTheLayerOnShapeMismatch) {
  Sequential model;
  model.add(std::make_unique<Conv2D>(Conv2DOptions{.filters = 4}));
  try {
    model.build(Shape{784}, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("0.conv2d"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("got [1, 784]"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace strata
