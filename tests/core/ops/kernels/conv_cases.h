// The convolutions the conv tests run (host: tests/core/ops/kernels/conv_test.cpp, the CUDA
// kernel bodies and the cuDNN plan; GPU: tests/core/gpu/conv_gpu_test.cpp, the CUDA ops): the
// layers of the benchmark models (bench/MODELS.md, configs/models/) and edge shapes,
// each geometry resolved by the layers' rules and checked against the output shape the Conv2D /
// ConvTranspose2D layer builds. A case's ConvArgs have threads = 1.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"

namespace strata::test {

struct ConvCase {
  std::string name;
  bool transposed = false;
  ConvArgs args;
  bool benchmark = false;  // a layer of a benchmark model
};

// The options the two convolution layers share: `cout` filters, a kh x kw kernel, strides sh x sw,
// padding `pad` on every side, a bias or none.
template <class Options>
Options layer_options(int64_t cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t pad,
                      bool bias) {
  Options o;
  o.filters = cout;
  o.kernel_h = kh;
  o.kernel_w = kw;
  o.stride_h = sh;
  o.stride_w = sw;
  o.pad_h = o.pad_w = pad;
  o.bias = bias;
  return o;
}

// The case's geometry is the layer's: built on `in`, the layer gives the output shape `want`.
template <class Layer>
void check_builds(const std::string& name, Layer&& layer, const Shape& in, const Shape& want) {
  const Shape out = layer.build(in);
  STRATA_CHECK(out == want, name << ": " << layer.kind() << " builds " << out.str()
                                 << ", the test's geometry " << want.str());
}

// Conv2D with `cout` filters on [batch, cin, h, w]: the geometry by the layer's rule (padding
// "same" as TensorFlow: output ceil(in / stride), the odd pad at the bottom/right), checked
// against the output shape the layer itself builds.
inline ConvCase conv2d_case(std::string name, int64_t batch, int64_t cin, int64_t h, int64_t w,
                            int64_t cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                            PaddingMode mode, int64_t pad = 0, bool bias = true) {
  auto axis = [&](int64_t in, int64_t k, int64_t s, int64_t& out, int64_t& top) {
    if (mode == PaddingMode::kSame) {
      out = (in + s - 1) / s;
      top = std::max<int64_t>((out - 1) * s + k - in, 0) / 2;
    } else {
      top = mode == PaddingMode::kValid ? 0 : pad;
      out = (in + 2 * top - k) / s + 1;
    }
  };
  ConvGeometry g{.channels = cin,
                 .height = h,
                 .width = w,
                 .kernel_h = kh,
                 .kernel_w = kw,
                 .stride_h = sh,
                 .stride_w = sw};
  axis(h, kh, sh, g.out_h, g.pad_top);
  axis(w, kw, sw, g.out_w, g.pad_left);
  Conv2DOptions o = layer_options<Conv2DOptions>(cout, kh, kw, sh, sw, pad, bias);
  o.padding_mode = mode;
  check_builds(name, Conv2D(o), Shape{batch, cin, h, w}, Shape{batch, cout, g.out_h, g.out_w});
  return {std::move(name), false, ConvArgs{g, cout, batch, bias, 1}, false};
}

// ConvTranspose2D with `cout` filters on [batch, cin, h, w] (geometry: the output's side, as the
// layer builds it; "same": output in * stride, max(k - stride, 0) / 2 cropped at the top/left).
inline ConvCase conv_transpose2d_case(std::string name, int64_t batch, int64_t cin, int64_t h,
                                      int64_t w, int64_t cout, int64_t kh, int64_t kw, int64_t sh,
                                      int64_t sw, int64_t pad, int64_t out_pad, bool same,
                                      bool bias = true) {
  auto out = [&](int64_t in, int64_t k, int64_t s) {
    return same ? in * s : (in - 1) * s - 2 * pad + k + out_pad;
  };
  auto top = [&](int64_t k, int64_t s) { return same ? std::max<int64_t>(k - s, 0) / 2 : pad; };
  const ConvGeometry g{.channels = cout,
                       .height = out(h, kh, sh),
                       .width = out(w, kw, sw),
                       .kernel_h = kh,
                       .kernel_w = kw,
                       .stride_h = sh,
                       .stride_w = sw,
                       .pad_top = top(kh, sh),
                       .pad_left = top(kw, sw),
                       .out_h = h,
                       .out_w = w};
  ConvTranspose2DOptions o = layer_options<ConvTranspose2DOptions>(cout, kh, kw, sh, sw, pad, bias);
  o.output_pad_h = o.output_pad_w = out_pad;
  o.same = same;
  check_builds(name, ConvTranspose2D(o), Shape{batch, cin, h, w},
               Shape{batch, cout, g.height, g.width});
  return {std::move(name), true, ConvArgs{g, cin, batch, bias, 1}, false};
}

// The same with a square kernel and stride.
inline ConvCase conv_transpose2d_case(std::string name, int64_t batch, int64_t cin, int64_t h,
                                      int64_t w, int64_t cout, int64_t k, int64_t s, int64_t pad,
                                      int64_t out_pad, bool same, bool bias = true) {
  return conv_transpose2d_case(std::move(name), batch, cin, h, w, cout, k, k, s, s, pad, out_pad,
                               same, bias);
}

// The floats of a case's input x and output y (batch included) and of its bias: a Conv2D's x is
// the image side of its geometry and y the column side, a ConvTranspose2D's the other way round.
inline int64_t x_floats(const ConvCase& cs) {
  const ConvArgs& a = cs.args;
  return cs.transposed ? a.batch * a.channels * a.geom.plane() : a.batch * a.geom.image_size();
}
inline int64_t y_floats(const ConvCase& cs) {
  const ConvArgs& a = cs.args;
  return cs.transposed ? a.batch * a.geom.image_size() : a.batch * a.channels * a.geom.plane();
}
inline int64_t bias_floats(const ConvCase& cs) {
  return cs.transposed ? cs.args.geom.channels : cs.args.channels;
}

inline ConvCase benchmark(ConvCase c) {
  c.benchmark = true;
  return c;
}

// Every convolution layer of dcgan28 (batch 256, bias) and dcgan64 (batch 128, no bias).
inline std::vector<ConvCase> benchmark_cases() {
  const auto ex = PaddingMode::kExplicit;
  return {
      benchmark(conv_transpose2d_case("dcgan28_g1", 256, 128, 7, 7, 64, 4, 2, 1, 0, false)),
      benchmark(conv_transpose2d_case("dcgan28_g2", 256, 64, 14, 14, 1, 4, 2, 1, 0, false)),
      benchmark(conv2d_case("dcgan28_d1", 256, 1, 28, 28, 64, 4, 4, 2, 2, ex, 1)),
      benchmark(conv2d_case("dcgan28_d2", 256, 64, 14, 14, 128, 4, 4, 2, 2, ex, 1)),
      benchmark(conv_transpose2d_case("dcgan64_g1", 128, 100, 1, 1, 512, 4, 1, 0, 0, false, false)),
      benchmark(conv_transpose2d_case("dcgan64_g2", 128, 512, 4, 4, 256, 4, 2, 1, 0, false, false)),
      benchmark(conv_transpose2d_case("dcgan64_g3", 128, 256, 8, 8, 128, 4, 2, 1, 0, false, false)),
      benchmark(
          conv_transpose2d_case("dcgan64_g4", 128, 128, 16, 16, 64, 4, 2, 1, 0, false, false)),
      benchmark(conv_transpose2d_case("dcgan64_g5", 128, 64, 32, 32, 3, 4, 2, 1, 0, false, false)),
      benchmark(conv2d_case("dcgan64_d1", 128, 3, 64, 64, 64, 4, 4, 2, 2, ex, 1, false)),
      benchmark(conv2d_case("dcgan64_d2", 128, 64, 32, 32, 128, 4, 4, 2, 2, ex, 1, false)),
      benchmark(conv2d_case("dcgan64_d3", 128, 128, 16, 16, 256, 4, 4, 2, 2, ex, 1, false)),
      benchmark(conv2d_case("dcgan64_d4", 128, 256, 8, 8, 512, 4, 4, 2, 2, ex, 1, false)),
      benchmark(conv2d_case("dcgan64_d5", 128, 512, 4, 4, 1, 4, 4, 1, 1, ex, 0, false)),
  };
}

// Odd and asymmetric shapes: batch 1 and 3, odd sizes, "same" with an odd total padding (more at
// the bottom/right: the padded copy), "valid" that leaves rows unread, output_padding, a kernel
// smaller than the stride, non-square kernels and strides, the configs' autoencoder layers
// (configs/fashion_conv_ae.yaml, fashion_conv_transpose_ae.yaml).
inline std::vector<ConvCase> edge_cases() {
  const auto same = PaddingMode::kSame, valid = PaddingMode::kValid;
  const auto ex = PaddingMode::kExplicit;
  return {
      conv2d_case("same_k4s2_7x7_b3", 3, 2, 7, 7, 3, 4, 4, 2, 2, same),
      conv2d_case("same_k4s2_7x9_b1", 1, 3, 7, 9, 2, 4, 4, 2, 2, same),
      conv2d_case("same_k5s2_9x11_b3", 3, 3, 9, 11, 5, 5, 5, 2, 2, same),
      conv2d_case("same_k3s1_28_ae", 3, 1, 28, 28, 32, 3, 3, 1, 1, same),
      conv2d_case("same_k2s1_5x6", 3, 2, 5, 6, 3, 2, 2, 1, 1, same),
      conv2d_case("valid_k5s2_11x13", 3, 2, 11, 13, 4, 5, 5, 2, 2, valid),
      conv2d_case("valid_k4s3_10x8_b1", 1, 3, 10, 8, 2, 4, 4, 3, 3, valid),
      conv2d_case("k3x5_s2x1_same_9x7", 3, 2, 9, 7, 3, 3, 5, 2, 1, same),
      conv2d_case("k3x5_s1x2_p2_8x9", 3, 2, 8, 9, 3, 3, 5, 1, 2, ex, 2),
      conv2d_case("k1_s1_1x1_b1", 1, 5, 1, 1, 3, 1, 1, 1, 1, valid),
      conv2d_case("dense_k7_7x7_b3", 3, 2, 7, 7, 4, 7, 7, 1, 1, valid, 0, false),
      conv_transpose2d_case("t_same_k4s2_7_ae", 3, 16, 7, 7, 32, 4, 2, 0, 0, true),
      conv_transpose2d_case("t_same_k4s2_14_ae", 3, 32, 14, 14, 1, 4, 2, 0, 0, true),
      conv_transpose2d_case("t_same_k5s2_7_b1", 1, 3, 7, 7, 2, 5, 2, 0, 0, true),
      conv_transpose2d_case("t_same_k3s2_5", 3, 2, 5, 5, 3, 3, 2, 0, 0, true),
      conv_transpose2d_case("t_same_k1s2_6", 3, 2, 6, 6, 3, 1, 2, 0, 0, true),
      conv_transpose2d_case("t_k3s2p1_op1_7", 3, 3, 7, 7, 2, 3, 2, 1, 1, false),
      conv_transpose2d_case("t_k5s3p2_op2_4_b1", 1, 2, 4, 4, 3, 5, 3, 2, 2, false),
      conv_transpose2d_case("t_k4s1p0_1x1_b3", 3, 5, 1, 1, 4, 4, 1, 0, 0, false),
      conv_transpose2d_case("t_k3s1p1_9", 3, 2, 9, 9, 3, 3, 1, 1, 0, false, false),
      // Rows padded asymmetrically (the copy), columns never reaching the last output column.
      conv_transpose2d_case("t_same_k5x1_s2_6x5", 3, 2, 6, 5, 3, 5, 1, 2, 2, 0, 0, true),
  };
}

// Conv2D "valid" and "same", kernel 3/4/5, stride 1/2, on 7x7, 28x28 and 64x64 (batch 2, a few
// channels), and ConvTranspose2D "same" and padding 1, kernel 3/4/5, stride 1/2, to 7x7 or so,
// 28x28 and 64x64.
inline std::vector<ConvCase> sweep_cases() {
  std::vector<ConvCase> cases;
  for (const int64_t size : {7, 28, 64})
    for (const int64_t k : {3, 4, 5})
      for (const int64_t s : {1, 2}) {
        const std::string tag =
            "k" + std::to_string(k) + "s" + std::to_string(s) + "_" + std::to_string(size);
        cases.push_back(
            conv2d_case("valid_" + tag, 2, 2, size, size, 3, k, k, s, s, PaddingMode::kValid));
        cases.push_back(
            conv2d_case("same_" + tag, 2, 2, size, size, 3, k, k, s, s, PaddingMode::kSame));
        const int64_t in = s == 2 ? size / 2 : size;
        cases.push_back(conv_transpose2d_case("t_same_" + tag, 2, 3, in, in, 2, k, s, 0, 0, true));
        cases.push_back(conv_transpose2d_case("t_p1_" + tag, 2, 3, in, in, 2, k, s, 1, 0, false));
      }
  return cases;
}

}  // namespace strata::test
