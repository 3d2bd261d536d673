#include "core/ops/dense.h"

#include "core/blas.h"
#include "core/cpu_threads.h"
#include "core/ops/activations.h"

namespace strata {

void dense_forward(CpuBackend&, const DenseDims& d, const float* x, const float* w, const float* b,
                   float* y) {
  const int64_t n = d.batch, out = d.out;
  if (b) {  // y = b, then y += x W^T
#pragma omp parallel for if (n * out >= kParallelMin)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < out; ++j) y[i * out + j] = b[j];
  }
  gemm(false, true, n, out, d.in, 1.0f, x, d.in, w, d.in, b ? 1.0f : 0.0f, y, out);
}

void dense_relu_forward(CpuBackend& be, const DenseDims& d, const float* x, const float* w,
                        const float* b, float* y) {
  dense_forward(be, d, x, w, b, y);
  activation_forward(be, ActivationFn{ActivationKind::kReLU}, y, y, d.batch * d.out);
}

void dense_backward(CpuBackend&, const DenseDims& d, const float* x, const float* w,
                    const float* dy, float* dw, float* db, float* dx) {
  const int64_t n = d.batch, out = d.out;
  if (dw) gemm(true, false, out, d.in, n, 1.0f, dy, out, x, d.in, 1.0f, dw, d.in);
  if (db) {
#pragma omp parallel for if (n * out >= kParallelMin)
    for (int64_t j = 0; j < out; ++j) {
      float s = 0.0f;
      for (int64_t i = 0; i < n; ++i) s += dy[i * out + j];
      db[j] += s;
    }
  }
  if (dx) gemm(false, false, n, d.in, out, 1.0f, dy, out, w, d.in, 0.0f, dx, d.in);
}

}  // namespace strata
