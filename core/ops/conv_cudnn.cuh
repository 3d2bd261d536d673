// The cuDNN side shared by the CUDA conv2d and conv_transpose2d (conv2d.cu, conv_transpose2d.cu):
// a planned convolution's descriptors and deterministic algorithms (core/ops/conv_plan.h), the
// three cuDNN calls on them, and the launches of the kernel bodies around them
// (core/ops/kernels/conv.h). Every call is queued on the backend's stream.
#pragma once

#include <cudnn.h>

#include <cstddef>

#include "core/backend.h"
#include "core/ops/conv_plan.h"

namespace strata::cuda {

// One planned convolution on one cuDNN handle: fp32 NCHW descriptors, cross-correlation, the
// precision's math type (conv_plan.h: FMA at fp32, no TF32), and for each direction the first
// deterministic algorithm cuDNN supports for it, with the workspace bytes it asked for.
struct CudnnConv {
  CudnnConvPlan plan;
  cudnnTensorDescriptor_t image = nullptr;    // [n, c, h, w] (the padded buffer when pad_copy)
  cudnnTensorDescriptor_t columns = nullptr;  // [n, k, out_h, out_w]
  cudnnFilterDescriptor_t filter = nullptr;   // [k, c, kernel_h, kernel_w]
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  cudnnConvolutionBwdDataAlgo_t bwd_data = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  cudnnConvolutionBwdFilterAlgo_t bwd_filter = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
  size_t fwd_bytes = 0, bwd_data_bytes = 0, bwd_filter_bytes = 0;

  CudnnConv() = default;
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;
  ~CudnnConv();

  size_t cudnn_bytes() const;
  // The op's workspace in floats (conv_workspace_floats of the plan).
  int64_t workspace_floats() const;
};

// The CudnnConv of `a` on be's cuDNN handle. Built on first use (the *_workspace call of a
// layer's setup()) and kept for the life of the process, so that the ops' calls in a step find
// it without allocating or querying cuDNN. Throws when cuDNN supports none of the deterministic
// algorithms for a direction, naming the geometry.
const CudnnConv& cudnn_conv(const CudaBackend& be, const ConvArgs& a, bool transposed);

// The cuDNN workspace inside an op's workspace.
inline float* cudnn_workspace(const CudnnConv& cv, float* workspace) {
  return workspace + cv.plan.cudnn_offset;
}

// The operands as the cuDNN calls take them: the tensor itself, or with plan.round_operands its
// copy rounded to bf16 in the workspace (image: the cuDNN image [n, c, h, w], so the padded
// buffer when pad_copy; columns [n, k, out_h, out_w]; filter [k, c, kernel_h, kernel_w]).
const float* image_operand(const CudaBackend& be, const CudnnConv& cv, const float* image,
                           float* workspace);
const float* columns_operand(const CudaBackend& be, const CudnnConv& cv, const float* columns,
                             float* workspace);
const float* filter_operand(const CudaBackend& be, const CudnnConv& cv, const float* w,
                            float* workspace);

// columns = conv(image, w) (overwritten).
void conv_forward(const CudaBackend& be, const CudnnConv& cv, const float* image, const float* w,
                  float* columns, float* workspace);
// image = the adjoint of conv applied to columns (overwritten).
void conv_backward_data(const CudaBackend& be, const CudnnConv& cv, const float* w,
                        const float* columns, float* image, float* workspace);
// dw += the weight gradient of conv for image and the columns' gradient.
void conv_backward_filter(const CudaBackend& be, const CudnnConv& cv, const float* image,
                          const float* columns, float* dw, float* workspace);

// The image into the zero-padded buffer (plan.pad_copy), and back (plus bias[c] when not null).
void pad_image(const CudaBackend& be, const CudnnConvPlan& p, const float* image, float* padded);
void crop_image(const CudaBackend& be, const CudnnConvPlan& p, const float* padded, float* image,
                const float* bias);
// y[n, c, :] += bias[c] over the op's output (plan.bias_channels x plan.bias_plane).
void add_bias(const CudaBackend& be, const CudnnConvPlan& p, float* y, const float* bias);
// db[c] += the sum of dy[n, c, :] over the op's output (deterministic: one block per channel).
void add_bias_grad(const CudaBackend& be, const CudnnConvPlan& p, const float* dy, float* db);

}  // namespace strata::cuda
