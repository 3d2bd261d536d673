// dense: y[N, out] = x[N, in] W^T + b, W stored [out, in] (PyTorch's layout), and the same with a
// ReLU after it. CPU: dense.cpp (OpenBLAS GEMMs); CUDA: dense.cu (cuBLASLt with the bias and ReLU
// in the matmul's epilogue; cuBLAS for the backward), its matrix products planned by dense_plan.h
// and its kernel bodies in kernels/dense.h.
//
// Precision (core/precision.h): at tf32 and bf16 the products' operands x, W and dy are rounded
// (the CPU: fp32 copies rounded in the workspace, then the fp32 GEMMs; CUDA: TF32 tensor-core
// math, or bf16 copies in the workspace for cuBLASLt); y, dx and dW are fp32, the bias and db
// are the fp32 ones. The workspace (dense_workspace floats, none at fp32) is only used inside a
// call.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/precision.h"

namespace strata {

struct DenseDims {
  int64_t batch = 0, in = 0, out = 0;
  Precision precision = Precision::kFp32;
};

// The workspace floats the ops need for d (0 at fp32: they then take a null workspace).
int64_t dense_workspace(CpuBackend& be, const DenseDims& d);
// b may be null (no bias).
void dense_forward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                   const float* b, float* y, float* workspace = nullptr);
// y = relu(x W^T + b): dense_forward, then the ReLU of core/ops/activations.h (the same values).
void dense_relu_forward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                        const float* b, float* y, float* workspace = nullptr);
// Accumulates dW += dy^T x and db += column sums of dy when dw (db) is not null; overwrites
// dx = dy W when dx is not null.
void dense_backward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx, float* workspace = nullptr);

#if STRATA_WITH_CUDA
int64_t dense_workspace(CudaBackend& be, const DenseDims& d);
void dense_forward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                   const float* b, float* y, float* workspace = nullptr);
void dense_relu_forward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                        const float* b, float* y, float* workspace = nullptr);
// db's column sums are the CPU's bit for bit (one thread per column adds the rows in order, in
// float).
void dense_backward(CudaBackend& be, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx, float* workspace = nullptr);

// The two ways the CUDA forward runs: one cuBLASLt matmul with the bias (and ReLU) in its
// epilogue, or cublasSgemm followed by a bias (and ReLU) kernel, taken where cuBLASLt offers no
// algorithm for the shape and the pointers' alignment, or the bias is not 16-byte aligned (at
// tf32 cublasGemmEx with TF32 compute, at bf16 with bf16 operands).
enum class DenseCudaPath { kLt, kSgemm };
// The path dense_forward (relu false) or dense_relu_forward (relu true) takes for these operands.
// At bf16 x and w are the bf16 copies' places (the workspace), as the forward hands them over.
DenseCudaPath dense_forward_path(CudaBackend& be, const DenseDims& d, const float* x,
                                 const float* w, const float* b, float* y, bool relu);
// The forward by the path given, so that tests can run each; kLt throws where dense_forward_path
// is kSgemm.
void dense_forward_by(CudaBackend& be, DenseCudaPath path, const DenseDims& d, const float* x,
                      const float* w, const float* b, float* y, bool relu,
                      float* workspace = nullptr);
#endif

}  // namespace strata
