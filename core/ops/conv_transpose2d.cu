// conv_transpose2d on CUDA, the adjoint of conv2d.cu: the cuDNN convolution it is the gradient
// of has this op's output y as its image and its input x as its columns (core/ops/conv_plan.h):
//   forward       y  = BackwardData(W, x) + b
//   weight grad   dW += BackwardFilter(dy, x), db += per-channel sums of dy
//   input grad    dx  = Forward(dy, W)
// When the plan needs the padded copy (asymmetric padding), y is computed into the zero-padded
// buffer at the start of the workspace and cropped (adding the bias on the way), and dy is copied
// into that buffer before the backward calls. At bf16 the cuDNN calls take the operands' rounded
// copies (image_operand, columns_operand, filter_operand); db sums the fp32 dy.
#include "core/ops/conv_cudnn.cuh"
#include "core/ops/conv_transpose2d.h"

namespace strata {

int64_t conv_transpose2d_workspace(CudaBackend& be, const ConvArgs& a) {
  return cuda::cudnn_conv(be, a, true).workspace_floats();
}

void conv_transpose2d_forward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                              const float* b, float* y, float* workspace) {
  const cuda::CudnnConv& cv = cuda::cudnn_conv(be, a, true);
  w = cuda::filter_operand(be, cv, w, workspace);
  x = cuda::columns_operand(be, cv, x, workspace);
  if (cv.plan.pad_copy) {
    cuda::conv_backward_data(be, cv, w, x, workspace, workspace);
    cuda::crop_image(be, cv.plan, workspace, y, b);
    return;
  }
  cuda::conv_backward_data(be, cv, w, x, y, workspace);
  if (b) cuda::add_bias(be, cv.plan, y, b);
}

void conv_transpose2d_backward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                               const float* dy, float* dw, float* db, float* dx, float* workspace) {
  if (!dw && !dx) return;
  const cuda::CudnnConv& cv = cuda::cudnn_conv(be, a, true);
  const float* image = dy;
  if (cv.plan.pad_copy) {
    cuda::pad_image(be, cv.plan, dy, workspace);
    image = workspace;
  }
  image = cuda::image_operand(be, cv, image, workspace);
  if (dw) {
    cuda::conv_backward_filter(be, cv, image, cuda::columns_operand(be, cv, x, workspace), dw,
                               workspace);
    if (db) cuda::add_bias_grad(be, cv.plan, dy, db);
  }
  if (dx)
    cuda::conv_forward(be, cv, image, cuda::filter_operand(be, cv, w, workspace), dx, workspace);
}

}  // namespace strata
