#include "core/ops/dense_plan.h"

#include <cstdint>

#include "core/error.h"

namespace strata {
namespace {

LtEpilogue epilogue_of(bool bias, bool relu) {
  if (bias) return relu ? LtEpilogue::kReluBias : LtEpilogue::kBias;
  return relu ? LtEpilogue::kRelu : LtEpilogue::kDefault;
}

void check_dims(const DenseDims& d) {
  // cuBLAS(Lt) takes no empty matrix (a leading dimension is at least 1): dense.cu does the
  // empty cases itself.
  STRATA_CHECK(d.batch > 0 && d.in > 0 && d.out > 0,
               "dense: a GEMM plan needs positive sizes, got batch " << d.batch << ", in " << d.in
                                                                     << ", out " << d.out);
}

}  // namespace

LtDensePlan plan_dense_forward(const DenseDims& d, const float* x, const float* w, const float* b,
                               float* y, bool relu) {
  check_dims(d);
  LtDensePlan p;
  // y = x W^T: row-major gemm(no, trans), as dense.cpp computes it.
  p.gemm = column_major_gemm(false, true, d.batch, d.out, d.in, x, d.in, w, d.in, y, d.out);
  const ColumnMajorGemm& g = p.gemm;
  p.a = g.trans_first ? LtLayout{g.k, g.m, g.ld_first} : LtLayout{g.m, g.k, g.ld_first};
  p.b = g.trans_second ? LtLayout{g.n, g.k, g.ld_second} : LtLayout{g.k, g.n, g.ld_second};
  p.d = LtLayout{g.m, g.n, g.ldc};
  p.epilogue = epilogue_of(b != nullptr, relu);
  p.bias = b;
  p.bias_length = b ? g.m : 0;
  return p;
}

DenseBackwardPlan plan_dense_backward(const DenseDims& d, const float* x, const float* w,
                                      const float* dy, float* dw, float* dx) {
  check_dims(d);
  DenseBackwardPlan p;
  // The row-major products of dense.cpp: dW[out, in] += dy^T x, dx[N, in] = dy W.
  p.dw.gemm = column_major_gemm(true, false, d.out, d.in, d.batch, dy, d.out, x, d.in, dw, d.in);
  p.dw.beta = 1.0f;
  p.dx.gemm = column_major_gemm(false, false, d.batch, d.in, d.out, dy, d.out, w, d.in, dx, d.in);
  p.dx.beta = 0.0f;
  return p;
}

GemmPrecision gemm_precision(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return {GemmCompute::k32FPedantic, GemmData::kF32, GemmData::kF32, GemmData::kF32};
    case Precision::kTf32:
      return {GemmCompute::k32FFastTf32, GemmData::kF32, GemmData::kF32, GemmData::kF32};
    case Precision::kBf16:
      return {GemmCompute::k32F, GemmData::kBf16, GemmData::kF32, GemmData::kF32};
  }
  STRATA_THROW("dense: unknown precision " << static_cast<int>(p));
}

DenseOperandScratch dense_operand_scratch(const DenseDims& d, int64_t element_bytes) {
  STRATA_CHECK(
      d.batch >= 0 && d.in >= 0 && d.out >= 0 && element_bytes > 0,
      "dense: negative size (batch " << d.batch << ", in " << d.in << ", out " << d.out << ")");
  constexpr int64_t kAlignFloats = 64;  // 256 bytes
  const auto floats_of = [&](int64_t count) {
    const int64_t floats = (count * element_bytes + 3) / 4;
    return (floats + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
  };
  DenseOperandScratch s;
  s.x = 0;
  s.w = s.x + floats_of(d.batch * d.in);
  s.dy = s.w + floats_of(d.out * d.in);
  s.floats = s.dy + floats_of(d.batch * d.out);
  return s;
}

uint32_t lt_alignment(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  uint32_t align = 256;
  while (align > 1 && a % align != 0) align /= 2;
  return align;
}

}  // namespace strata
