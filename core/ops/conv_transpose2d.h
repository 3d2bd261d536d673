// conv_transpose2d: a transposed 2-D convolution on NCHW (the gradient of conv2d with respect to
// its input), weight [Cin, Cout, kh, kw] (PyTorch's layout), bias [Cout]. CPU:
// conv_transpose2d.cpp (GEMM + col2im, parallel over groups of images); CUDA:
// conv_transpose2d.cu (cuDNN).
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/ops/conv2d.h"  // defines: ConvArgs

namespace strata {

// a: geom is the output's side, a.channels the input's channels (ConvArgs).
int64_t conv_transpose2d_workspace(CpuBackend& be, const ConvArgs& a);
void conv_transpose2d_forward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                              const float* b, float* y, float* workspace);
// Accumulates dw (and db) when not null; overwrites dx when not null.
void conv_transpose2d_backward(CpuBackend& be, const ConvArgs& a, const float* x, const float* w,
                               const float* dy, float* dw, float* db, float* dx, float* workspace);

#if STRATA_WITH_CUDA
// CUDA (conv_transpose2d.cu): cuDNN's backward-data of the convolution geom describes, with
// deterministic algorithms and fp32 FMA math; see core/ops/conv_plan.h. The workspace holds a
// zero-padded image buffer (for y, and dy in backward) when the padding is asymmetric, then
// cuDNN's workspace; ask for it in setup(). a.threads is not used. dw and db accumulate, dx is
// overwritten.
int64_t conv_transpose2d_workspace(CudaBackend& be, const ConvArgs& a);
void conv_transpose2d_forward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                              const float* b, float* y, float* workspace);
void conv_transpose2d_backward(CudaBackend& be, const ConvArgs& a, const float* x, const float* w,
                               const float* dy, float* dw, float* db, float* dx, float* workspace);
#endif

}  // namespace strata
