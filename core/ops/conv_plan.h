// How the CUDA conv2d and conv_transpose2d run a Strata convolution (ConvArgs) on cuDNN, as host
// logic (tested on the CPU against the CPU ops, tests/core/ops/kernels/conv_test.cpp).
//
// Both ops run one cuDNN convolution (cross-correlation, NCHW, fp32): its "image" is
// ConvArgs.geom's image side [N, C, H, W] (conv2d's input; conv_transpose2d's output), its filter
// is [K, C, kh, kw] with K = ConvArgs.channels (conv2d's weight [Cout, Cin, kh, kw];
// conv_transpose2d's [Cin, Cout, kh, kw]), its output is the column side [N, K, out_h, out_w].
//   conv2d:           forward = Forward, dx = BackwardData, dW = BackwardFilter
//   conv_transpose2d: forward = BackwardData, dx = Forward, dW = BackwardFilter (x as "dy")
//
// cuDNN pads symmetrically and sizes the output as out = (in + 2 pad - kernel) / stride + 1
// (rounded down). Strata stores only the top/left padding; the bottom/right one is whatever makes
// out_h x out_w come out, and may be larger ("same" with an odd total) or smaller (rows the
// kernel never reaches, or a transposed convolution's output_padding). Both read zeros outside
// the image, so where cuDNN's formula with pad = pad_top gives out_h (and likewise for the
// width), cuDNN runs on the image as it is. Otherwise the image is copied into a zero-padded
// buffer of exactly the rows and columns the kernel reaches, (out_h - 1) * stride_h + kernel_h by
// (out_w - 1) * stride_w + kernel_w (row r holding image row r - pad_top, column q image column
// q - pad_left), and cuDNN runs on it without padding; gradients for the image are computed into
// that buffer and cropped back.
//
// Precision (ConvArgs.precision): the tensors are fp32 at every precision. fp32 runs on
// CUDNN_FMA_MATH (no TF32). tf32 runs on CUDNN_DEFAULT_MATH, which lets cuDNN use TF32 tensor
// cores for fp32 data (what PyTorch sets when cudnn.allow_tf32 is on). bf16 rounds the operands
// to bfloat16 values (RoundOperandBody, kernels/precision.h) into copies in the workspace and
// runs them on the same TF32-permitting math: a bf16 value is exact in TF32, so the products are
// the bf16 operands' exact products and the sums fp32, while y, dx and dW stay fp32 (cuDNN's
// legacy API would take bf16 tensors only with a bf16 output, one more rounding), the same
// contract as the dense op and as the CPU's emulation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ops/conv2d.h"  // defines: ConvArgs

namespace strata {

// cudnnMathType_t as a host value: kFma is CUDNN_FMA_MATH, kDefault CUDNN_DEFAULT_MATH.
enum class CudnnMath { kFma, kDefault };
// The math type of a precision, and whether its operands are rounded to bf16 (see above).
CudnnMath cudnn_math(Precision p);
bool cudnn_rounds_operands(Precision p);

struct CudnnConvPlan {
  // The cuDNN convolution: image [n, c, h, w] (the padded buffer's sizes when pad_copy), filter
  // [k, c, kernel_h, kernel_w], output [n, k, out_h, out_w]; symmetric padding pad_h x pad_w.
  int n = 0, c = 0, h = 0, w = 0;
  int k = 0, kernel_h = 0, kernel_w = 0;
  int out_h = 0, out_w = 0;
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1;

  // The copy into a zero-padded buffer: row r, column q of the buffer hold image row
  // r - pad_top, column q - pad_left of the unpadded image_h x image_w image (zero outside it).
  bool pad_copy = false;
  int64_t image_h = 0, image_w = 0, pad_top = 0, pad_left = 0;

  // Per-channel bias and its gradient: the channels and plane of the op's output (conv2d: K
  // channels of out_h * out_w; conv_transpose2d: C channels of image_h * image_w).
  int64_t bias_channels = 0, bias_plane = 0;

  // The cuDNN math type, and whether the operands are rounded to bf16 first.
  CudnnMath math = CudnnMath::kFma;
  bool round_operands = false;

  // The op's workspace (floats): the padded buffer (n * c * h * w floats when pad_copy, else
  // none); with round_operands the rounded copies of the image (n * c * h * w), the columns
  // (n * k * out_h * out_w) and the filter (k * c * kernel_h * kernel_w) at their offsets, each a
  // multiple of kCudnnAlignFloats; operands_end floats so far; then cuDNN's workspace from
  // cudnn_offset (a multiple of kCudnnAlignFloats).
  int64_t padded_floats = 0;
  int64_t image_copy = 0, columns_copy = 0, filter_copy = 0, operands_end = 0;
  int64_t cudnn_offset = 0;
};

// cuDNN's workspace is placed on 256-byte boundaries of the op's workspace.
inline constexpr int64_t kCudnnAlignFloats = 64;

// cuDNN's output size along one axis (cudnnGetConvolution2dForwardOutputDim, dilation 1); 0
// when the kernel does not fit.
int64_t cudnn_out_size(int64_t in, int64_t pad, int64_t kernel, int64_t stride);

// The plan of `a` for conv2d (transposed false) or conv_transpose2d (true). Throws strata::Error
// naming the size when a dimension or a tensor's element count passes cuDNN's int limit, or the
// geometry is empty.
CudnnConvPlan plan_conv(const ConvArgs& a, bool transposed);

// The op's workspace in floats when cuDNN's algorithms need `cudnn_bytes`.
int64_t conv_workspace_floats(const CudnnConvPlan& p, size_t cudnn_bytes);

}  // namespace strata
