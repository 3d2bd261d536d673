#include "core/layers/conv_transpose2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/layers/conv2d.h"
#include "tests/core/layers/conv_reference.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

using testing::BoundLayer;

struct ConvTCase {
  const char* name;
  int64_t n, c, h, w, filters, kh, kw, sh, sw, ph, pw, oph, opw;
  bool same, bias;

  ConvTranspose2DOptions options() const {
    return ConvTranspose2DOptions{.filters = filters,
                                  .kernel_h = kh,
                                  .kernel_w = kw,
                                  .stride_h = sh,
                                  .stride_w = sw,
                                  .pad_h = ph,
                                  .pad_w = pw,
                                  .output_pad_h = oph,
                                  .output_pad_w = opw,
                                  .same = same,
                                  .bias = bias};
  }
  Shape input() const { return Shape{n, c, h, w}; }
};

// Output size and top crop of one axis, from the definitions: explicit (in - 1) * s - 2p + k +
// op with crop p; "same" in * s with crop floor(max(k - s, 0) / 2) (TensorFlow's
// conv2d_transpose, the adjoint of Conv2D "same").
void expected_axis(bool same, int64_t in, int64_t k, int64_t s, int64_t p, int64_t op, int64_t& out,
                   int64_t& top) {
  out = same ? in * s : (in - 1) * s - 2 * p + k + op;
  top = same ? std::max<int64_t>(k - s, 0) / 2 : p;
}

const ConvTCase kCases[] = {
    {"K3S1P1", 2, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 0, 0, false, true},
    {"DcganK4S2P1", 3, 3, 4, 4, 2, 4, 4, 2, 2, 1, 1, 0, 0, false, false},
    {"NonSquareOutputPad", 2, 2, 3, 4, 3, 3, 2, 2, 1, 1, 0, 1, 0, false, true},
    {"SameOddKernelMinusStride", 2, 2, 3, 3, 2, 5, 5, 2, 2, 0, 0, 0, 0, true, true},
    {"SameKernelBelowStride", 2, 1, 3, 2, 2, 1, 2, 2, 3, 0, 0, 0, 0, true, true},
    {"SameStride1K4", 1, 2, 4, 4, 2, 4, 4, 1, 1, 0, 0, 0, 0, true, false},
    // A 1x1 input without padding: one matrix product (dcgan64's first generator layer).
    {"OneByOneInputBatch7", 7, 3, 1, 1, 2, 3, 4, 1, 1, 0, 0, 0, 0, false, true},
    // 1x1 input and output through the column path: groups of several images per GEMM.
    {"OneByOnePaddedBatch7", 7, 3, 1, 1, 2, 3, 3, 1, 1, 1, 1, 0, 0, false, true},
    {"Wider", 4, 16, 6, 6, 8, 4, 4, 2, 2, 1, 1, 0, 0, false, false},
};

class ConvTranspose2DCase : public ::testing::TestWithParam<ConvTCase> {};

TEST_P(ConvTranspose2DCase, ForwardMatchesDirectScatter) {
  const ConvTCase& k = GetParam();
  ConvTranspose2D conv(k.options());
  BoundLayer b(conv, k.input());
  int64_t oh, ow, top, left;
  expected_axis(k.same, k.h, k.kh, k.sh, k.ph, k.oph, oh, top);
  expected_axis(k.same, k.w, k.kw, k.sw, k.pw, k.opw, ow, left);
  ASSERT_EQ(b.out, (Shape{k.n, k.filters, oh, ow}));
  Tensor x(k.input()), y(b.out);
  testing::fill_random(x, 3);
  conv.forward(x, y, StepContext{});
  Tensor ref =
      testing::reference_conv_transpose2d(x, b.params[0], b.bias(), k.sh, k.sw, top, left, oh, ow);
  EXPECT_LT(testing::max_rel_diff(y, ref), 1e-5);
}

TEST_P(ConvTranspose2DCase, GradientCheck) {
  const ConvTCase& k = GetParam();
  ConvTranspose2D conv(k.options());
  EXPECT_EQ(testing::check_layer_gradients(conv, k.input()), 0);
}

INSTANTIATE_TEST_SUITE_P(ConvTranspose2D, ConvTranspose2DCase, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConvTranspose2D, BackwardMatchesDirectReference) {
  // dcgan28's first generator layer, scaled down; large enough to group images per GEMM (groups
  // of 5, the last of 4) and to use two threads where there are two.
  ConvTranspose2D conv(ConvTranspose2DOptions{.filters = 16,
                                              .kernel_h = 4,
                                              .kernel_w = 4,
                                              .stride_h = 2,
                                              .stride_w = 2,
                                              .pad_h = 1,
                                              .pad_w = 1});
  const Shape in{19, 8, 7, 7};
  BoundLayer b(conv, in);
  ASSERT_EQ(b.out, (Shape{19, 16, 14, 14}));
  Tensor x(in), y(b.out), dy(b.out), dx(in);
  testing::fill_random(x, 3);
  testing::fill_random(dy, 4);
  conv.forward(x, y, StepContext{});
  conv.backward(x, y, dy, &dx, StepContext{});
  // dL/dx is the ordinary convolution of dy with the same [Cin, Cout, kh, kw] array read as
  // Conv2D weights [out = Cin, in = Cout]; dL/dW is that convolution's weight gradient.
  Tensor ref_dx = testing::reference_conv2d(dy, b.params[0], nullptr, 2, 2, 1, 1, 7, 7);
  EXPECT_LT(testing::max_rel_diff(dx, ref_dx), 1e-5);
  Tensor ref_dw = testing::reference_conv2d_weight_grad(dy, x, 4, 4, 2, 2, 1, 1);
  EXPECT_LT(testing::max_rel_diff(b.grads[0], ref_dw), 1e-4);
  std::vector<double> db = testing::channel_sums(dy);
  for (int64_t c = 0; c < 16; ++c) EXPECT_NEAR(b.grads[1][c], db[c], 1e-4 * (1 + std::fabs(db[c])));

  // A second backward adds to the parameter gradients and overwrites dx; param_grads = false
  // leaves them alone.
  Tensor dw1(b.grads[0].shape()), dx1(in);
  dw1.copy_from(b.grads[0]);
  dx1.copy_from(dx);
  dx.fill(std::numeric_limits<float>::quiet_NaN());
  conv.backward(x, y, dy, &dx, StepContext{});
  for (int64_t i = 0; i < dw1.numel(); ++i)
    EXPECT_NEAR(b.grads[0][i], 2 * dw1[i], 1e-5 * (1 + std::fabs(dw1[i])));
  for (int64_t i = 0; i < dx.numel(); ++i) ASSERT_EQ(dx[i], dx1[i]);
  StepContext frozen;
  frozen.param_grads = false;
  dx.fill(0.0f);
  conv.backward(x, y, dy, &dx, frozen);
  for (int64_t i = 0; i < dw1.numel(); ++i)
    EXPECT_NEAR(b.grads[0][i], 2 * dw1[i], 1e-5 * (1 + std::fabs(dw1[i])));
  for (int64_t i = 0; i < dx.numel(); ++i) ASSERT_EQ(dx[i], dx1[i]);
}

// <Conv2D(u), v> == <u, ConvTranspose2D(v)> when both use the same weight array: checks that
// the two layers (and their "same" paddings) are exact adjoints.
void expect_adjoint(const Conv2DOptions& co, const ConvTranspose2DOptions& to, const Shape& u_in) {
  Conv2D conv(co);
  BoundLayer bc(conv, u_in);
  const Shape v_in = bc.out;
  ConvTranspose2D convt(to);
  BoundLayer bt(convt, v_in);
  ASSERT_EQ(bt.out, u_in);
  ASSERT_EQ(bt.params[0].shape(), bc.params[0].shape());
  bt.params[0].copy_from(bc.params[0]);
  Tensor u(u_in), v(v_in), cu(v_in), tv(u_in);
  testing::fill_random(u, 5);
  testing::fill_random(v, 6);
  conv.forward(u, cu, StepContext{});
  convt.forward(v, tv, StepContext{});
  double a = 0.0, b = 0.0;
  for (int64_t i = 0; i < cu.numel(); ++i) a += static_cast<double>(cu[i]) * v[i];
  for (int64_t i = 0; i < tv.numel(); ++i) b += static_cast<double>(u[i]) * tv[i];
  EXPECT_NEAR(a, b, 1e-4 * (1.0 + std::fabs(a)));
}

TEST(ConvTranspose2D, IsTheAdjointOfConv2D) {
  expect_adjoint({.filters = 3,
                  .kernel_h = 4,
                  .kernel_w = 4,
                  .stride_h = 2,
                  .stride_w = 2,
                  .pad_h = 1,
                  .pad_w = 1,
                  .bias = false},
                 {.filters = 2,
                  .kernel_h = 4,
                  .kernel_w = 4,
                  .stride_h = 2,
                  .stride_w = 2,
                  .pad_h = 1,
                  .pad_w = 1,
                  .bias = false},
                 Shape{2, 2, 8, 8});
  // "same" with an odd kernel - stride (asymmetric padding) and with a kernel below the stride.
  expect_adjoint({.filters = 3,
                  .kernel_h = 5,
                  .kernel_w = 1,
                  .stride_h = 2,
                  .stride_w = 3,
                  .padding_mode = PaddingMode::kSame,
                  .bias = false},
                 {.filters = 2,
                  .kernel_h = 5,
                  .kernel_w = 1,
                  .stride_h = 2,
                  .stride_w = 3,
                  .same = true,
                  .bias = false},
                 Shape{2, 2, 6, 9});
  expect_adjoint({.filters = 2,
                  .kernel_h = 4,
                  .kernel_w = 3,
                  .padding_mode = PaddingMode::kSame,
                  .bias = false},
                 {.filters = 2, .kernel_h = 4, .kernel_w = 3, .same = true, .bias = false},
                 Shape{1, 2, 5, 5});
}

TEST(ConvTranspose2D, OutputShapes) {
  ConvTranspose2DOptions g1{.filters = 64,
                            .kernel_h = 4,
                            .kernel_w = 4,
                            .stride_h = 2,
                            .stride_w = 2,
                            .pad_h = 1,
                            .pad_w = 1};
  EXPECT_EQ(ConvTranspose2D(g1).build(Shape{1, 128, 7, 7}), (Shape{1, 64, 14, 14}));
  ConvTranspose2DOptions g0{.filters = 512, .kernel_h = 4, .kernel_w = 4};  // dcgan64's first
  EXPECT_EQ(ConvTranspose2D(g0).build(Shape{1, 100, 1, 1}), (Shape{1, 512, 4, 4}));
  ConvTranspose2DOptions same{
      .filters = 3, .kernel_h = 5, .kernel_w = 3, .stride_h = 2, .stride_w = 3, .same = true};
  EXPECT_EQ(ConvTranspose2D(same).build(Shape{1, 2, 7, 4}), (Shape{1, 3, 14, 12}));
  ConvTranspose2DOptions op{.filters = 1,
                            .kernel_h = 3,
                            .kernel_w = 3,
                            .stride_h = 2,
                            .stride_w = 2,
                            .pad_h = 1,
                            .pad_w = 1,
                            .output_pad_h = 1};
  EXPECT_EQ(ConvTranspose2D(op).build(Shape{1, 2, 7, 7}), (Shape{1, 1, 14, 13}));
}

TEST(ConvTranspose2D, ParamSpecs) {
  ConvTranspose2D conv(ConvTranspose2DOptions{.filters = 6, .kernel_h = 3, .kernel_w = 2});
  conv.build(Shape{1, 4, 5, 5});
  auto specs = conv.param_specs();
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0].name, "weight");
  EXPECT_EQ(specs[0].shape, (Shape{4, 6, 3, 2}));  // [Cin, Cout, kh, kw]
  EXPECT_TRUE(specs[0].decay);
  EXPECT_EQ(specs[0].init.fan_in, 4 * 3 * 2);
  EXPECT_EQ(specs[0].init.fan_out, 6 * 3 * 2);
  EXPECT_EQ(specs[1].name, "bias");
  EXPECT_EQ(specs[1].shape, (Shape{6}));
  EXPECT_FALSE(specs[1].decay);
  EXPECT_EQ(specs[1].init.kind, InitSpec::Kind::kZeros);
}

std::string build_error(Layer& l, const Shape& in) {
  try {
    l.build(in);
  } catch (const Error& e) {
    return e.message();
  }
  return "(no error)";
}

TEST(ConvTranspose2D, RejectsFlatInput) {
  ConvTranspose2D conv(ConvTranspose2DOptions{.filters = 4});
  const std::string msg = build_error(conv, Shape{1, 6272});
  EXPECT_NE(msg.find("conv_transpose2d expects input [N, C, H, W], got [1, 6272]"),
            std::string::npos)
      << msg;
}

TEST(ConvTranspose2D, RejectsEmptyOutput) {
  // (1 - 1) * 1 - 2 * 2 + 3 = -1.
  ConvTranspose2D conv(ConvTranspose2DOptions{.filters = 4, .pad_h = 2, .pad_w = 2});
  const std::string msg = build_error(conv, Shape{1, 2, 1, 1});
  EXPECT_NE(msg.find("empty output"), std::string::npos) << msg;
}

TEST(ConvTranspose2D, RejectsBadOptions) {
  using O = ConvTranspose2DOptions;
  EXPECT_THROW(ConvTranspose2D(O{.filters = 0}), Error);
  EXPECT_THROW(ConvTranspose2D(O{.filters = 1, .stride_h = 0}), Error);
  // output_padding must be smaller than the stride (as in PyTorch and cuDNN).
  EXPECT_THROW(ConvTranspose2D(O{.filters = 1, .stride_h = 2, .output_pad_h = 2}), Error);
  EXPECT_THROW(ConvTranspose2D(O{.filters = 1, .output_pad_w = 1}), Error);
  // "same" derives the padding itself.
  EXPECT_THROW(ConvTranspose2D(O{.filters = 1, .pad_h = 1, .same = true}), Error);
}

}  // namespace
}  // namespace strata
