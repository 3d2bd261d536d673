// conv2d: a 2-D convolution on NCHW, weight [Cout, Cin, kh, kw] (PyTorch's layout), bias [Cout],
// any stride and (asymmetric) padding described by a ConvGeometry. CPU: conv2d.cpp (im2col +
// GEMM, parallel over groups of images); CUDA: conv2d.cu (cuDNN).
//
// Precision (ConvArgs.precision, core/precision.h): at tf32 and bf16 the products' operands x,
// W and dy are rounded (the CPU: fp32 copies rounded at the end of the workspace, then the fp32
// convolution; CUDA: conv_plan.h), the outputs y, dx and dW and the bias and db stay fp32.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/ops/im2col.h"  // defines: ConvGeometry
#include "core/precision.h"

namespace strata {

// One convolution for one batch size: what its ops need besides the buffers.
//   conv2d:           geom is the input's side (Cin x H x W images, Ho x Wo columns);
//                     `channels` is Cout.
//   conv_transpose2d: geom is its output's side (the Conv2D it is the adjoint of);
//                     `channels` is its input's channels (Cin).
struct ConvArgs {
  ConvGeometry geom;
  int64_t channels = 0;
  int64_t batch = 0;
  bool bias = true;
  int threads = 1;  // CPU threads the workspace is sized for (cpu_threads() at setup)
  Precision precision = Precision::kFp32;
};

// Where the CPU ops keep their rounded operands (below fp32): after the convolution's own
// workspace (`base` floats), x's copy, W's, then dy's, each of the counts given.
struct ConvOperandScratch {
  int64_t x = 0, w = 0, dy = 0, floats = 0;
};
ConvOperandScratch conv_operand_scratch(int64_t base, int64_t x_count, int64_t w_count,
                                        int64_t dy_count);

// Workspace floats the ops need for `a`.
int64_t conv2d_workspace(CpuBackend& be, const ConvArgs& a);
// y = conv(x, w) + b (b may be null).
void conv2d_forward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                    const float* b, float* y, float* workspace);
// Accumulates dw (and db) when not null; overwrites dx when not null.
void conv2d_backward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                     const float* dy, float* dw, float* db, float* dx, float* workspace);

#if STRATA_WITH_CUDA
// CUDA (conv2d.cu): cuDNN, deterministic algorithms, fp32 FMA math (no TF32); see
// core/ops/conv_plan.h. The workspace holds a zero-padded copy of x when the padding is
// asymmetric, then cuDNN's workspace for the algorithms chosen on be's cuDNN handle; ask for it
// in setup() (the first call builds and keeps the cuDNN descriptors). a.threads is not used.
// The same contract as the CPU ops: dw and db accumulate, dx is overwritten.
int64_t conv2d_workspace(CudaBackend& be, const ConvArgs& a);
void conv2d_forward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                    const float* b, float* y, float* workspace);
void conv2d_backward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                     const float* dy, float* dw, float* db, float* dx, float* workspace);
#endif

}  // namespace strata
