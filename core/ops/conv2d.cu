// conv2d on CUDA: one cuDNN convolution per direction (core/ops/conv_plan.h), deterministic
// algorithms and fp32 FMA math (core/ops/conv_cudnn.cuh):
//   forward       y  = Forward(x, W) + b
//   weight grad   dW += BackwardFilter(x, dy), db += per-channel sums of dy
//   input grad    dx  = BackwardData(W, dy)
// When the plan needs the padded copy (asymmetric padding), x is copied into the zero-padded
// buffer at the start of the workspace first, and dx is computed into that buffer and cropped.
// At bf16 the cuDNN calls take the operands' rounded copies (image_operand, columns_operand,
// filter_operand); db sums the fp32 dy.
#include "core/ops/conv2d.h"
#include "core/ops/conv_cudnn.cuh"

namespace strata {

int64_t conv2d_workspace(CudaBackend& be, const ConvArgs& a) {
  return cuda::cudnn_conv(be, a, false).workspace_floats();
}

void conv2d_forward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                    const float* b, float* y, float* workspace) {
  const cuda::CudnnConv& cv = cuda::cudnn_conv(be, a, false);
  const float* image = x;
  if (cv.plan.pad_copy) {
    cuda::pad_image(be, cv.plan, x, workspace);
    image = workspace;
  }
  cuda::conv_forward(be, cv, cuda::image_operand(be, cv, image, workspace),
                     cuda::filter_operand(be, cv, w, workspace), y, workspace);
  if (b) cuda::add_bias(be, cv.plan, y, b);
}

void conv2d_backward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                     const float* dy, float* dw, float* db, float* dx, float* workspace) {
  if (!dw && !dx) return;
  const cuda::CudnnConv& cv = cuda::cudnn_conv(be, a, false);
  const bool pad = cv.plan.pad_copy;
  // dy as the products take it (its bf16-rounded copy at bf16), once for both.
  const float* columns = cuda::columns_operand(be, cv, dy, workspace);
  if (dw) {
    const float* image = x;
    if (pad) {
      cuda::pad_image(be, cv.plan, x, workspace);
      image = workspace;
    }
    cuda::conv_backward_filter(be, cv, cuda::image_operand(be, cv, image, workspace), columns, dw,
                               workspace);
    if (db) cuda::add_bias_grad(be, cv.plan, dy, db);
  }
  if (dx) {
    // The padded buffer is free again: the filter gradient before it is queued on the same stream.
    cuda::conv_backward_data(be, cv, cuda::filter_operand(be, cv, w, workspace), columns,
                             pad ? workspace : dx, workspace);
    if (pad) cuda::crop_image(be, cv.plan, workspace, dx, nullptr);
  }
}

}  // namespace strata
