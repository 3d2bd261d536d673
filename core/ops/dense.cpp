#include "core/ops/dense.h"

#include "core/blas.h"
#include "core/cpu_threads.h"
#include "core/error.h"
#include "core/ops/activations.h"
#include "core/ops/dense_plan.h"
#include "core/ops/round_operands.h"

namespace strata {

namespace {

void forward_fp32(const DenseDims& d, const float* x, const float* w, const float* b, float* y) {
  const int64_t n = d.batch, out = d.out;
  if (b) {  // y = b, then y += x W^T
#pragma omp parallel for if (n * out >= kParallelMin)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < out; ++j) y[i * out + j] = b[j];
  }
  gemm(false, true, n, out, d.in, 1.0f, x, d.in, w, d.in, b ? 1.0f : 0.0f, y, out);
}

// The operand `v` (count values) rounded to d's precision into its place in the workspace.
const float* rounded(CpuBackend& be, const DenseDims& d, const float* v, int64_t count,
                     float* workspace, int64_t offset) {
  STRATA_CHECK(workspace, "dense at " << precision_name(d.precision)
                                      << " needs its workspace (dense_workspace)");
  round_operands(be, d.precision, v, workspace + offset, count);
  return workspace + offset;
}

}  // namespace

int64_t dense_workspace(CpuBackend&, const DenseDims& d) {
  if (d.precision == Precision::kFp32) return 0;
  return dense_operand_scratch(d, sizeof(float)).floats;
}

void dense_forward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                   const float* b, float* y, float* workspace) {
  if (d.precision == Precision::kFp32) return forward_fp32(d, x, w, b, y);
  const DenseOperandScratch s = dense_operand_scratch(d, sizeof(float));
  forward_fp32(d, rounded(be, d, x, d.batch * d.in, workspace, s.x),
               rounded(be, d, w, d.out * d.in, workspace, s.w), b, y);
}

void dense_relu_forward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                        const float* b, float* y, float* workspace) {
  dense_forward(be, d, x, w, b, y, workspace);
  activation_forward(be, ActivationFn{ActivationKind::kReLU}, y, y, d.batch * d.out);
}

void dense_backward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx, float* workspace) {
  const int64_t n = d.batch, out = d.out;
  // The products' operands (rounded below fp32); db sums the fp32 dy.
  const float* dy_op = dy;
  if (d.precision != Precision::kFp32 && (dw || dx)) {
    const DenseOperandScratch s = dense_operand_scratch(d, sizeof(float));
    dy_op = rounded(be, d, dy, n * out, workspace, s.dy);
    if (dw) x = rounded(be, d, x, n * d.in, workspace, s.x);
    if (dx) w = rounded(be, d, w, out * d.in, workspace, s.w);
  }
  if (dw) gemm(true, false, out, d.in, n, 1.0f, dy_op, out, x, d.in, 1.0f, dw, d.in);
  if (db) {
#pragma omp parallel for if (n * out >= kParallelMin)
    for (int64_t j = 0; j < out; ++j) {
      float s = 0.0f;
      for (int64_t i = 0; i < n; ++i) s += dy[i * out + j];
      db[j] += s;
    }
  }
  if (dx) gemm(false, false, n, d.in, out, 1.0f, dy_op, out, w, d.in, 0.0f, dx, d.in);
}

}  // namespace strata
