// The CUDA dense op's kernel bodies, compiled for the host and the GPU (core/ops/dense.cu launches
// them grid-stride; tests/core/ops/kernels/dense_test.cpp runs them on the CPU against dense.cpp).
#pragma once

#include <cstdint>

#include "core/host_device.h"

namespace strata {

// db[j] += the sum of column j of dy[batch, out], one column per call. The rows are added in
// index order in float, as dense.cpp adds them, so db is the CPU's bit for bit (and the same on
// every run). Launched over the out columns: neighbouring threads read neighbouring values of a
// row.
struct DenseBiasGradBody {
  const float* dy;
  int64_t batch, out;
  float* db;
  STRATA_HD void operator()(int64_t j) const {
    float s = 0.0f;
    for (int64_t i = 0; i < batch; ++i) s += dy[i * out + j];
    db[j] += s;
  }
};

// The epilogue of the forward's cublasSgemm path, what cuBLASLt's BIAS / RELU / RELU_BIAS epilogue
// does: value i of y[batch, out] (= D[out, batch] column-major, D's row i % out) gets b[i % out]
// added when b is not null, then max(v, 0) when relu.
struct DenseEpilogueBody {
  const float* b;
  int64_t out;
  bool relu;
  float* y;
  STRATA_HD void operator()(int64_t i) const {
    float v = y[i];
    if (b) v += b[i % out];
    y[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
  }
};

}  // namespace strata
