// The matrix products of the CUDA dense op, as host logic (tested on the CPU against dense.cpp,
// tests/core/ops/kernels/dense_test.cpp), so that dense.cu hands cuBLASLt and cuBLAS operands that
// are right the first time.
//
// Forward: y[N, out] = x[N, in] W^T + b is the row-major gemm(no, trans, N, out, in, x, W, y),
// which column_major_gemm (gemm_plan.h) maps to the column-major
//   D[out, N] = op(A) B,  A = W stored [in, out] (ld in), op(A) = A^T; B = x stored [in, N] (ld in)
// with D = y^T (ld out). The bias has one value per row of D, so it is exactly what cuBLASLt's
// BIAS epilogue adds ("bias vector length must match matrix D rows, broadcast to all columns"),
// and the ReLU epilogue then takes max(v, 0).
#pragma once

#include <cstdint>

#include "core/ops/dense.h"
#include "core/ops/gemm_plan.h"

namespace strata {

// What cuBLASLt's epilogue does to D = alpha op(A) op(B) + beta C: nothing, + bias (the bias's
// value i added to row i of D), ReLU (max(v, 0)), or + bias then ReLU.
enum class LtEpilogue { kDefault, kBias, kRelu, kReluBias };

// A column-major matrix as cublasLtMatrixLayoutCreate describes it: rows x cols, element (r, c) at
// r + c * ld.
struct LtLayout {
  int64_t rows = 0, cols = 0, ld = 0;
};

// One cublasLtMatmul: D = epilogue(op(A) op(B)) with alpha 1, beta 0 and C = D.
struct LtDensePlan {
  ColumnMajorGemm gemm;  // transposes, m, n, k, operands and leading dimensions
  LtLayout a, b, d;      // the stored A ([k, m] when transposed, else [m, k]), B and D ([m, n])
  LtEpilogue epilogue = LtEpilogue::kDefault;
  const float* bias = nullptr;
  int64_t bias_length = 0;  // the rows of D (out)
};

// The plan of dense_forward (relu false) or dense_relu_forward (relu true); b may be null. Throws
// strata::Error unless batch, in and out are positive (so do plan_dense_backward).
LtDensePlan plan_dense_forward(const DenseDims& d, const float* x, const float* w, const float* b,
                               float* y, bool relu);

// One cublasSgemm: C = alpha op(first) op(second) + beta C, alpha 1.
struct SgemmStep {
  ColumnMajorGemm gemm;
  float beta = 0.0f;
};

// dense_backward's products: dW += dy^T x (beta 1) and dx = dy W (beta 0).
struct DenseBackwardPlan {
  SgemmStep dw, dx;
};
DenseBackwardPlan plan_dense_backward(const DenseDims& d, const float* x, const float* w,
                                      const float* dy, float* dw, float* dx);

// The largest power of two, at most 256, that divides p's address: the alignment cuBLASLt's
// heuristic is told for each operand (its default assumes 256).
uint32_t lt_alignment(const void* p);

// cuBLASLt reads the bias in its epilogue with vector loads; a bias aligned to fewer bytes is
// added by dense.cu's own kernel instead.
inline constexpr uint32_t kLtBiasAlignment = 16;

// The types of the CUDA dense op's products at a precision, as host values that dense.cu maps to
// cuBLAS's (cublasComputeType_t, cudaDataType_t):
//   fp32  compute 32F_PEDANTIC (cuBLASLt: plain 32F where pedantic offers no algorithm; neither
//         uses TF32), fp32 operands; the backward's cublasSgemm on the handle's pedantic math
//   tf32  compute 32F_FAST_TF32, fp32 operands (the tensor cores round them to TF32)
//   bf16  compute 32F, bf16 operands (copies made by the op in its workspace), i.e. exact
//         products summed in fp32
// C, D (dW accumulates into it), the bias, alpha and beta are fp32 at every precision.
enum class GemmCompute { k32FPedantic, k32F, k32FFastTf32 };
enum class GemmData { kF32, kBf16 };
struct GemmPrecision {
  GemmCompute compute = GemmCompute::k32FPedantic;
  GemmData operands = GemmData::kF32;  // A and B
  GemmData output = GemmData::kF32;    // C, D and the bias
  GemmData scale = GemmData::kF32;     // alpha and beta
};
GemmPrecision gemm_precision(Precision p);

// Where an op's converted operands lie in its workspace, in floats from its start, each on a
// 256-byte boundary: x's copy at x, W's at w, dy's at dy; `floats` in all. element_bytes: 4 for
// fp32 copies (the CPU's rounded operands), 2 for bf16 patterns (the CUDA op at bf16).
struct DenseOperandScratch {
  int64_t x = 0, w = 0, dy = 0, floats = 0;
};
DenseOperandScratch dense_operand_scratch(const DenseDims& d, int64_t element_bytes);

}  // namespace strata
