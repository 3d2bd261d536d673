// The CUDA convolutions' host logic and kernel bodies, run on the CPU against the CPU ops:
// - plan_conv (core/ops/conv_plan.h): cuDNN's output-size formula on the planned image gives
//   Strata's output for every case (benchmark layers, edge shapes, a sweep of kernels, strides,
//   sizes and paddings), and the benchmark layers need no padded copy;
// - the whole CUDA op, emulated: the pad/crop/bias bodies as their launches run them (every index
//   once) around a plain host convolution of cuDNN's definition on the plan's descriptors (Forward,
//   BackwardData, BackwardFilter with beta 1), gives the CPU conv2d and conv_transpose2d forward
//   and backward (tolerance: 2e-5 of the largest value or of 1, the CPU summing in fp32);
// - the bias and bias-gradient bodies against the CPU's helpers; launch limits; workspace layout.
#include "core/ops/kernels/conv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/conv2d.h"
#include "core/ops/conv_plan.h"
#include "core/ops/conv_transpose2d.h"
#include "tests/core/ops/kernels/conv_cases.h"
#include "tests/support/emulate_launch.h"

namespace strata {
namespace {

using test::ConvCase;

std::vector<ConvCase> all_cases() {
  std::vector<ConvCase> cases = test::benchmark_cases();
  for (auto& c : test::edge_cases()) cases.push_back(std::move(c));
  for (auto& c : test::sweep_cases()) cases.push_back(std::move(c));
  return cases;
}

// The case at most `batch` images and `channels` channels on either side (the host reference is
// slow; the geometry is what the plan decides on).
ConvCase shrunk(ConvCase c, int64_t batch, int64_t channels) {
  c.args.batch = std::min(c.args.batch, batch);
  c.args.channels = std::min(c.args.channels, channels);
  c.args.geom.channels = std::min(c.args.geom.channels, channels + 1);
  return c;
}

std::vector<float> values(int64_t n, float scale, int seed) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = scale * std::sin(0.731f * static_cast<float>(i) + 0.37f * static_cast<float>(seed));
  return v;
}

// ---- cuDNN's definitions on a plan's descriptors (cross-correlation, symmetric padding) ----

// Image element of (n, c, row, col), or -1 in the padding.
int64_t image_index(const CudnnConvPlan& p, int64_t n, int64_t c, int64_t r, int64_t q) {
  if (r < 0 || r >= p.h || q < 0 || q >= p.w) return -1;
  return ((n * p.c + c) * p.h + r) * p.w + q;
}

// f(image index, weight index, column index) for every product of the convolution.
template <class F>
void for_each_product(const CudnnConvPlan& p, const F& f) {
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t k = 0; k < p.k; ++k)
      for (int64_t oh = 0; oh < p.out_h; ++oh)
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          const int64_t col = ((n * p.k + k) * p.out_h + oh) * p.out_w + ow;
          for (int64_t c = 0; c < p.c; ++c)
            for (int64_t i = 0; i < p.kernel_h; ++i)
              for (int64_t j = 0; j < p.kernel_w; ++j) {
                const int64_t img = image_index(p, n, c, oh * p.stride_h - p.pad_h + i,
                                                ow * p.stride_w - p.pad_w + j);
                if (img >= 0) f(img, ((k * p.c + c) * p.kernel_h + i) * p.kernel_w + j, col);
              }
        }
}

int64_t image_floats(const CudnnConvPlan& p) {
  return int64_t{p.n} * p.c * p.h * p.w;
}
int64_t column_floats(const CudnnConvPlan& p) {
  return int64_t{p.n} * p.k * p.out_h * p.out_w;
}
int64_t weight_floats(const CudnnConvPlan& p) {
  return int64_t{p.k} * p.c * p.kernel_h * p.kernel_w;
}

std::vector<float> rounded(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// cudnnConvolutionForward, beta 0.
std::vector<float> cudnn_forward(const CudnnConvPlan& p, const float* image, const float* w) {
  std::vector<double> y(column_floats(p), 0.0);
  for_each_product(p, [&](int64_t img, int64_t wi, int64_t col) {
    y[col] += static_cast<double>(image[img]) * w[wi];
  });
  return rounded(y);
}

// cudnnConvolutionBackwardData, beta 0.
std::vector<float> cudnn_backward_data(const CudnnConvPlan& p, const float* w,
                                       const float* columns) {
  std::vector<double> d(image_floats(p), 0.0);
  for_each_product(p, [&](int64_t img, int64_t wi, int64_t col) {
    d[img] += static_cast<double>(w[wi]) * columns[col];
  });
  return rounded(d);
}

// cudnnConvolutionBackwardFilter, beta 1.
void cudnn_backward_filter(const CudnnConvPlan& p, const float* image, const float* columns,
                           float* dw) {
  std::vector<double> d(weight_floats(p), 0.0);
  for_each_product(p, [&](int64_t img, int64_t wi, int64_t col) {
    d[wi] += static_cast<double>(image[img]) * columns[col];
  });
  for (size_t i = 0; i < d.size(); ++i) dw[i] = static_cast<float>(dw[i] + d[i]);
}

// ---- the kernel bodies as the CUDA ops launch them ----

template <class Body>
void run(int64_t n, const Body& body) {
  ASSERT_TRUE(test::emulate_each_once(n, body));
}

// The image cuDNN sees: the padded copy (PadImageBody) or the image itself.
std::vector<float> cudnn_image(const CudnnConvPlan& p, const std::vector<float>& image) {
  if (!p.pad_copy) return image;
  std::vector<float> padded(p.padded_floats, NAN);
  run(p.padded_floats, PadImageBody{image.data(), padded.data(), p.image_h, p.image_w, p.h, p.w,
                                    p.pad_top, p.pad_left});
  return padded;
}

// An image computed by cuDNN back to the op's image (CropImageBody, or AddChannelBiasBody).
std::vector<float> op_image(const CudnnConvPlan& p, std::vector<float> computed,
                            const float* bias) {
  if (!p.pad_copy) {
    if (bias)
      run(static_cast<int64_t>(computed.size()),
          AddChannelBiasBody{computed.data(), bias, p.bias_channels, p.bias_plane});
    return computed;
  }
  std::vector<float> image(static_cast<size_t>(p.n * p.c * p.image_h * p.image_w), NAN);
  run(static_cast<int64_t>(image.size()),
      CropImageBody{computed.data(), image.data(), p.image_h, p.image_w, p.h, p.w, p.pad_top,
                    p.pad_left, bias, p.c});
  return image;
}

struct Grads {
  std::vector<float> y, dx, dw, db;
};

// The CUDA op, emulated: conv2d.cu / conv_transpose2d.cu step by step on the host.
Grads emulated_op(const CudnnConvPlan& p, bool transposed, const std::vector<float>& x,
                  const std::vector<float>& w, const float* b, const std::vector<float>& dy,
                  std::vector<float> dw, std::vector<float> db) {
  Grads g;
  if (!transposed) {
    const std::vector<float> image = cudnn_image(p, x);
    g.y = cudnn_forward(p, image.data(), w.data());
    if (b)
      run(static_cast<int64_t>(g.y.size()),
          AddChannelBiasBody{g.y.data(), b, p.bias_channels, p.bias_plane});
    cudnn_backward_filter(p, image.data(), dy.data(), dw.data());
    g.dx = op_image(p, cudnn_backward_data(p, w.data(), dy.data()), nullptr);
  } else {
    g.y = op_image(p, cudnn_backward_data(p, w.data(), x.data()), b);
    const std::vector<float> image = cudnn_image(p, dy);
    cudnn_backward_filter(p, image.data(), x.data(), dw.data());
    g.dx = cudnn_forward(p, image.data(), w.data());
  }
  if (b) add_channel_sums_on_host(dy.data(), p.n, p.bias_channels, p.bias_plane, db.data());
  g.dw = std::move(dw);
  g.db = std::move(db);
  return g;
}

// The CPU op.
Grads cpu_op(const ConvArgs& a, bool transposed, const std::vector<float>& x,
             const std::vector<float>& w, const float* b, const std::vector<float>& dy,
             std::vector<float> dw, std::vector<float> db, int64_t y_floats) {
  Grads g;
  g.y.assign(y_floats, NAN);
  g.dx.assign(x.size(), NAN);
  float* dbp = b ? db.data() : nullptr;
  if (!transposed) {
    std::vector<float> ws(std::max<int64_t>(conv2d_workspace(cpu_backend(), a), 1));
    conv2d_forward(cpu_backend(), a, x.data(), w.data(), b, g.y.data(), ws.data());
    conv2d_backward(cpu_backend(), a, x.data(), w.data(), dy.data(), dw.data(), dbp, g.dx.data(),
                    ws.data());
  } else {
    std::vector<float> ws(std::max<int64_t>(conv_transpose2d_workspace(cpu_backend(), a), 1));
    conv_transpose2d_forward(cpu_backend(), a, x.data(), w.data(), b, g.y.data(), ws.data());
    conv_transpose2d_backward(cpu_backend(), a, x.data(), w.data(), dy.data(), dw.data(), dbp,
                              g.dx.data(), ws.data());
  }
  g.dw = std::move(dw);
  g.db = std::move(db);
  return g;
}

// Largest |got - want| over the tolerance 2e-5 * max(max |want|, 1) (the inputs are of order 1;
// the bias gradient's sums cancel, leaving small values with the error of their terms); <= 1
// passes.
double excess(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return INFINITY;
  double scale = 1.0, worst = 0.0;
  for (float v : want) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  const double tol = 2e-5 * scale;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(static_cast<double>(got[i]) - want[i]);
    worst = std::max(worst, std::isnan(e) ? INFINITY : e / tol);
  }
  return worst;
}

struct Excess {
  double y, dx, dw, db;
  double worst() const { return std::max({y, dx, dw, db}); }
};

// How far the emulated CUDA op (on plan p) is from the CPU op on the case.
Excess compare_with_cpu(const ConvCase& cs, const CudnnConvPlan& p) {
  const ConvArgs& a = cs.args;
  const ConvGeometry& g = a.geom;
  const std::vector<float> x = values(test::x_floats(cs), 1.0f, 1),
                           dy = values(test::y_floats(cs), 1.0f, 2);
  const std::vector<float> w = values(a.channels * g.rows(), 0.5f, 3);
  const std::vector<float> bias = values(p.bias_channels, 0.5f, 4);
  const std::vector<float> dw0 = values(w.size(), 0.25f, 5), db0 = values(bias.size(), 0.25f, 6);
  const float* b = a.bias ? bias.data() : nullptr;
  const Grads want = cpu_op(a, cs.transposed, x, w, b, dy, dw0, db0, test::y_floats(cs));
  const Grads got = emulated_op(p, cs.transposed, x, w, b, dy, dw0, db0);
  return {excess(got.y, want.y), excess(got.dx, want.dx), excess(got.dw, want.dw),
          excess(got.db, want.db)};
}

// ---- the tests ----

TEST(ConvPlan, CudnnsOutputSizeOnThePlanIsStratas) {
  for (const ConvCase& cs : all_cases()) {
    const ConvArgs& a = cs.args;
    const ConvGeometry& g = a.geom;
    const CudnnConvPlan p = plan_conv(a, cs.transposed);
    // cuDNN's formula (cudnnGetConvolution2dForwardOutputDim), written out.
    ASSERT_GE(p.h + 2 * p.pad_h, p.kernel_h) << cs.name;
    ASSERT_GE(p.w + 2 * p.pad_w, p.kernel_w) << cs.name;
    EXPECT_EQ((p.h + 2 * p.pad_h - p.kernel_h) / p.stride_h + 1, g.out_h) << cs.name;
    EXPECT_EQ((p.w + 2 * p.pad_w - p.kernel_w) / p.stride_w + 1, g.out_w) << cs.name;
    EXPECT_EQ(p.out_h, g.out_h) << cs.name;
    EXPECT_EQ(p.out_w, g.out_w) << cs.name;
    EXPECT_EQ(p.n, a.batch) << cs.name;
    EXPECT_EQ(p.c, g.channels) << cs.name;
    EXPECT_EQ(p.k, a.channels) << cs.name;
    EXPECT_EQ(p.kernel_h, g.kernel_h) << cs.name;
    EXPECT_EQ(p.stride_w, g.stride_w) << cs.name;
    if (p.pad_copy) {
      // Exactly the rows and columns the kernel reaches, the top/left ones padding.
      EXPECT_EQ(p.h, (g.out_h - 1) * g.stride_h + g.kernel_h) << cs.name;
      EXPECT_EQ(p.w, (g.out_w - 1) * g.stride_w + g.kernel_w) << cs.name;
      EXPECT_EQ(p.pad_h, 0) << cs.name;
      EXPECT_EQ(p.pad_w, 0) << cs.name;
      EXPECT_EQ(p.padded_floats, int64_t{p.n} * p.c * p.h * p.w) << cs.name;
    } else {
      EXPECT_EQ(p.h, g.height) << cs.name;
      EXPECT_EQ(p.w, g.width) << cs.name;
      EXPECT_EQ(p.pad_h, g.pad_top) << cs.name;
      EXPECT_EQ(p.pad_w, g.pad_left) << cs.name;
      EXPECT_EQ(p.padded_floats, 0) << cs.name;
    }
    EXPECT_EQ(p.image_h, g.height);
    EXPECT_EQ(p.pad_top, g.pad_top);
    EXPECT_EQ(p.bias_channels, cs.transposed ? g.channels : a.channels) << cs.name;
    EXPECT_EQ(p.bias_plane, cs.transposed ? g.height * g.width : g.plane()) << cs.name;
    if (cs.benchmark) {
      EXPECT_FALSE(p.pad_copy) << cs.name << ": a benchmark layer pays a copy";
    }
  }
}

TEST(ConvPlan, AsymmetricSamePaddingTakesThePaddedCopy) {
  // "same", kernel 4, stride 2 on 7x7: pad 1 at the top, 2 at the bottom, output 4. cuDNN's
  // symmetric pad 1 would give 3.
  const ConvCase cs = test::conv2d_case("same", 1, 1, 7, 7, 1, 4, 4, 2, 2, PaddingMode::kSame);
  EXPECT_EQ(cs.args.geom.out_h, 4);
  EXPECT_EQ(cs.args.geom.pad_top, 1);
  EXPECT_EQ(cudnn_out_size(7, 1, 4, 2), 3);
  const CudnnConvPlan p = plan_conv(cs.args, false);
  EXPECT_TRUE(p.pad_copy);
  EXPECT_EQ(p.h, 10);  // 1 + 7 + 2
  EXPECT_EQ(cudnn_out_size(p.h, p.pad_h, 4, 2), 4);
  // Even totals are symmetric: no copy.
  const ConvCase even = test::conv2d_case("same", 1, 1, 28, 28, 1, 4, 4, 2, 2, PaddingMode::kSame);
  EXPECT_FALSE(plan_conv(even.args, false).pad_copy);
  // Output padding and "valid" rows the kernel never reaches need none either.
  EXPECT_FALSE(
      plan_conv(test::conv_transpose2d_case("op", 1, 1, 7, 7, 1, 3, 2, 1, 1, false).args, true)
          .pad_copy);
  EXPECT_FALSE(
      plan_conv(test::conv2d_case("v", 1, 1, 11, 11, 1, 5, 5, 2, 2, PaddingMode::kValid).args,
                false)
          .pad_copy);
}

TEST(ConvPlan, TheEmulatedCudaOpsMatchTheCpuOps) {
  int copies = 0;
  for (const ConvCase& full : all_cases()) {
    const ConvCase cs = shrunk(full, 3, 3);
    const CudnnConvPlan p = plan_conv(cs.args, cs.transposed);
    copies += p.pad_copy;
    const Excess e = compare_with_cpu(cs, p);
    EXPECT_LE(e.y, 1.0) << cs.name << ": forward";
    EXPECT_LE(e.dx, 1.0) << cs.name << ": dx";
    EXPECT_LE(e.dw, 1.0) << cs.name << ": dw";
    EXPECT_LE(e.db, 1.0) << cs.name << ": db";
  }
  EXPECT_GT(copies, 5);  // the padded copy is exercised
}

TEST(ConvPlan, AWrongPaddingOffsetIsCaught) {
  // Control: the comparison above is not vacuous; shifting the copy by one row fails it.
  const ConvCase cs =
      test::conv2d_case("same_k4s2_9", 2, 2, 9, 9, 3, 4, 4, 2, 2, PaddingMode::kSame);
  for (const bool transposed : {false, true}) {
    const ConvCase c =
        transposed ? test::conv_transpose2d_case("t_same_k5s2_7", 2, 3, 7, 7, 2, 5, 2, 0, 0, true)
                   : cs;
    CudnnConvPlan p = plan_conv(c.args, c.transposed);
    ASSERT_TRUE(p.pad_copy) << c.name;
    p.pad_top += 1;
    EXPECT_GT(compare_with_cpu(c, p).worst(), 100.0) << c.name;
  }
}

TEST(ConvBodies, BiasMatchesTheCpu) {
  const int64_t n = 3, channels = 5, plane = 7 * 9;
  const std::vector<float> y0 = values(n * channels * plane, 2.0f, 7);
  const std::vector<float> bias = values(channels, 1.0f, 8);
  std::vector<float> want = y0, got = y0;
  for (int64_t i = 0; i < n; ++i)
    add_channel_bias(want.data() + i * channels * plane, channels, plane, bias.data());
  run(n * channels * plane, AddChannelBiasBody{got.data(), bias.data(), channels, plane});
  EXPECT_EQ(got, want);  // one fp32 addition each: the same bits
}

TEST(ConvBodies, BiasGradientMatchesTheCpuAndIsExactlyRepeatable) {
  for (const int64_t n : {1, 3, 256}) {
    const int64_t channels = 4, plane = 14 * 14;
    const std::vector<float> dy = values(n * channels * plane, 1.0f, 9);
    const std::vector<float> db0 = values(channels, 0.5f, 10);
    std::vector<float> want = db0, got = db0, again = db0;
    add_channel_sums(dy.data(), n, channels, plane, want.data());
    add_channel_sums_on_host(dy.data(), n, channels, plane, got.data());
    add_channel_sums_on_host(dy.data(), n, channels, plane, again.data());
    EXPECT_EQ(got, again);
    for (int64_t c = 0; c < channels; ++c) {
      double exact = 0.0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t q = 0; q < plane; ++q) exact += dy[(i * channels + c) * plane + q];
      const double sum = static_cast<double>(got[c]) - db0[c];
      // The GPU sums in double and rounds once; the CPU sums in float.
      EXPECT_NEAR(sum, exact, 1e-6 * (1.0 + std::fabs(exact))) << n << " " << c;
      EXPECT_NEAR(got[c], want[c], 1e-4 * (1.0 + std::fabs(want[c]))) << n << " " << c;
    }
  }
}

TEST(ConvBodies, LaunchesStayWithinCudaLimits) {
  EXPECT_EQ(channel_sum_launch(0).blocks, 0u);
  const Launch l = channel_sum_launch(512);
  EXPECT_EQ(l.blocks, 512u);
  EXPECT_LE(l.threads, 1024u);
  EXPECT_EQ(l.threads, static_cast<uint32_t>(kSumThreads));
  EXPECT_LE(sizeof(double) * kSumThreads, 48u * 1024);  // block_sum's static shared memory
  // plan_conv keeps channels within int, so the grid's x (<= 2^31 - 1) is never passed.
  EXPECT_LE(static_cast<int64_t>(channel_sum_launch(INT_MAX).blocks), int64_t{INT_MAX});
}

TEST(ConvPlan, WorkspaceHoldsTheCopyThenAlignedCudnnSpace) {
  const ConvCase cs = test::conv2d_case("same", 3, 2, 7, 7, 3, 4, 4, 2, 2, PaddingMode::kSame);
  const CudnnConvPlan p = plan_conv(cs.args, false);
  ASSERT_TRUE(p.pad_copy);
  EXPECT_EQ(p.padded_floats, 3 * 2 * 10 * 10);
  EXPECT_EQ(p.cudnn_offset % kCudnnAlignFloats, 0);
  EXPECT_GE(p.cudnn_offset, p.padded_floats);
  EXPECT_LT(p.cudnn_offset, p.padded_floats + kCudnnAlignFloats);
  EXPECT_EQ(conv_workspace_floats(p, 0), p.padded_floats);
  EXPECT_EQ(conv_workspace_floats(p, 5), p.cudnn_offset + 2);
  const CudnnConvPlan q = plan_conv(test::benchmark_cases()[0].args, true);
  EXPECT_EQ(conv_workspace_floats(q, 0), 0);
  EXPECT_EQ(conv_workspace_floats(q, 4096), 1024);
}

TEST(ConvPlan, SizesPastCudnnsIntLimitAreRefused) {
  ConvCase cs = test::conv2d_case("big", 1, 64, 64, 64, 64, 3, 3, 1, 1, PaddingMode::kSame);
  cs.args.batch = int64_t{1} << 20;  // 2^20 * 64 * 64 * 64 elements
  try {
    plan_conv(cs.args, false);
    FAIL() << "expected a throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int limit"), std::string::npos) << e.what();
  }
  cs.args.batch = 0;
  EXPECT_THROW(plan_conv(cs.args, false), Error);
}

}  // namespace
}  // namespace strata
