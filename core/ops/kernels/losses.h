// The loss and penalty kernels' bodies (mse, bce_logits, sigmoid_mean, softmax_cross_entropy,
// l2_weight_decay), compiled for the host and the GPU: core/ops/*.cu launches them,
// tests/core/ops/kernels/losses_test.cpp runs them on the CPU against the CPU ops.
//
// A value is one block's deterministic sum (core/ops/kernels/block_sum.h) of a term per element
// (per row for softmax cross-entropy), each term the CPU op's expression in the CPU op's
// precision, then a finish (the mean, or a weight) that thread 0 writes to the float in device
// memory: no copy to the host, no synchronisation. The sum's order is the block's, not the CPU's
// chunks, so a value agrees with the CPU op within a float rounding (and the GPU's exp and log);
// block_sum_on_host(n, term) gives the GPU's value on the host bit for bit where a term has no
// exp or log. Gradients are elementwise bodies with the CPU op's expressions, bit for bit on the
// host (and on a GPU, but for exp).
//
// nvcc contracts a * b + c into one fma, which rounds once where the CPU rounds twice; the
// products below that meet an addition go through mul_rn (kernels/rounding.h), which the GPU never
// contracts, so that the GPU rounds as the CPU does.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include "core/host_device.h"
#include "core/ops/kernels/block_sum.h"
#include "core/ops/kernels/rounding.h"
#include "core/ops/weight_decay.h"

namespace strata {

STRATA_HD inline double quiet_nan() {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(0x7ff8000000000000LL);
#else
  return std::numeric_limits<double>::quiet_NaN();
#endif
}

// ---- finishes: the value written from a block's sum s ----

// s / n, the mean (mse, bce_logits, sigmoid_mean, softmax_cross_entropy).
struct MeanFinish {
  int64_t n;
  STRATA_HD float operator()(double s) const {
    return static_cast<float>(s / static_cast<double>(n));
  }
};

// ---- mse ----

// forward_backward's term: the difference in float, as its gradient uses it.
struct MseTerm {
  const float* p;
  const float* t;
  STRATA_HD double operator()(int64_t i) const {
    const double diff = p[i] - t[i];
    return mul_rn(diff, diff);
  }
};

// forward's term: the difference in double.
struct MseForwardTerm {
  const float* p;
  const float* t;
  STRATA_HD double operator()(int64_t i) const {
    const double diff = static_cast<double>(p[i]) - t[i];
    return mul_rn(diff, diff);
  }
};

// d = (2 / n) (p - t).
struct MseGradBody {
  const float* p;
  const float* t;
  float* d;
  float scale;  // mse_grad_scale(n)
  STRATA_HD void operator()(int64_t i) const { d[i] = scale * (p[i] - t[i]); }
};

inline float mse_grad_scale(int64_t n) {
  return 2.0f / static_cast<float>(n);
}

// ---- bce_logits ----

// exp(-|x|), in (0, 1]: the only exp the loss and its gradient take.
STRATA_HD inline float bce_exp_neg_abs(float x) {
  return std::exp(-std::fabs(x));
}

// max(x, 0) - x t + log(1 + exp(-|x|)), ex = bce_exp_neg_abs(x).
STRATA_HD inline float bce_logits_loss(float x, float t, float ex) {
  return std::fmax(x, 0.0f) - mul_rn(x, t) + std::log1p(ex);
}

// (sigmoid(x) - t) / n: sigmoid(x) = 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) below.
STRATA_HD inline float bce_logits_grad(float x, float t, float ex, float inv_n) {
  const float sig = (x >= 0.0f ? 1.0f : ex) / (1.0f + ex);
  return (sig - t) * inv_n;
}

struct BceLogitsTerm {
  const float* z;
  const float* t;
  STRATA_HD double operator()(int64_t i) const {
    const float x = z[i];
    return bce_logits_loss(x, t[i], bce_exp_neg_abs(x));
  }
};

struct BceLogitsGradBody {
  const float* z;
  const float* t;
  float* dz;
  float inv_n;  // inverse_count(n)
  STRATA_HD void operator()(int64_t i) const {
    const float x = z[i];
    dz[i] = bce_logits_grad(x, t[i], bce_exp_neg_abs(x), inv_n);
  }
};

inline float inverse_count(int64_t n) {
  return 1.0f / static_cast<float>(n);
}

// sigmoid(z) in double.
struct SigmoidTerm {
  const float* z;
  STRATA_HD double operator()(int64_t i) const {
    return 1.0 / (1.0 + std::exp(-static_cast<double>(z[i])));
  }
};

// ---- softmax_cross_entropy ----

// The class of target value c, or -1 when c is not in [0, k) (NaN included). The loss checks
// its targets before the op; on a GPU an invalid one makes the loss NaN instead of a write
// outside the row.
STRATA_HD inline int64_t class_index(float c, int64_t k) {
  return c >= 0.0f && c < static_cast<float>(k) ? static_cast<int64_t>(c) : -1;
}

STRATA_HD inline float row_max(const float* zr, int64_t k) {
  float m = zr[0];
  for (int64_t j = 1; j < k; ++j) m = m < zr[j] ? zr[j] : m;  // std::max's choice
  return m;
}

// sum_j exp(z_j - m) in double, in index order.
STRATA_HD inline double row_exp_sum(const float* zr, int64_t k, float m) {
  double se = 0.0;
  for (int64_t j = 0; j < k; ++j) se += std::exp(zr[j] - m);
  return se;
}

// One row's loss, log sum_j exp(z_j) - z_c, and (dz != nullptr) its gradient row
// (softmax(z)_j - [j == c]) / n, written after every read of the row. One call per row, so the
// term of a block sum over the rows: each thread does its rows serially (K is small).
struct SoftmaxCrossEntropyTerm {
  const float* z;
  const float* y;
  float* dz;  // nullptr: the loss alone
  int64_t k;
  float inv_n;  // inverse_count(n)
  STRATA_HD double operator()(int64_t r) const {
    const float* zr = z + r * k;
    const int64_t c = class_index(y[r], k);
    const float m = row_max(zr, k);
    const double se = row_exp_sum(zr, k, m);
    const double loss = c < 0 ? quiet_nan() : std::log(se) - (static_cast<double>(zr[c]) - m);
    if (dz != nullptr) {
      float* dr = dz + r * k;
      const float scale = static_cast<float>(1.0 / se) * inv_n;
      for (int64_t j = 0; j < k; ++j) {
        const float g = mul_rn(std::exp(zr[j] - m), scale);
        dr[j] = j == c ? g - inv_n : g;
      }
    }
    return loss;
  }
};

// ---- l2_weight_decay ----

// w^2 in double.
struct SquareTerm {
  const float* w;
  STRATA_HD double operator()(int64_t i) const {
    const double v = w[i];
    return mul_rn(v, v);
  }
};

// g += lambda w.
struct DecayGradBody {
  const float* w;
  float* g;
  float lambda;
  STRATA_HD void operator()(int64_t i) const { g[i] += mul_rn(lambda, w[i]); }
};

// (lambda / 2) sum w^2.
STRATA_HD inline float decay_value(float lambda, double sum_of_squares) {
  return static_cast<float>(0.5 * lambda * sum_of_squares);
}

// The parameters whose sums of squares one launch of the weight-decay value kernel adds up, in
// list order, in double: their pointers and sizes travel as kernel arguments (a few hundred
// bytes). A list of up to kDecayBatch parameters - every model here - has the CPU's one double
// sum; a longer one takes a launch per kDecayBatch, each adding its float value to the last.
inline constexpr int kDecayBatch = 16;

struct DecayBatch {
  const float* w[kDecayBatch] = {};
  int64_t n[kDecayBatch] = {};
  int count = 0;
};

// Parameters [first, first + kDecayBatch) of the list (fewer at its end; none past it).
inline DecayBatch decay_batch(std::span<const DecayedParam> params, size_t first) {
  DecayBatch b;
  for (size_t i = first; i < params.size() && b.count < kDecayBatch; ++i, ++b.count) {
    b.w[b.count] = params[i].w;
    b.n[b.count] = params[i].n;
  }
  return b;
}

// The first parameter of each launch: 0, kDecayBatch, ... (one launch for an empty list, which
// writes 0).
inline bool decay_batch_starts(size_t first, size_t count) {
  return first == 0 || first < count;
}

// The value the launches of l2_weight_decay (core/ops/weight_decay.cu) write, on the host: each
// batch's parameters summed by block_sum_on_host in list order, the batches' floats added.
inline float l2_decay_value_on_host(float lambda, std::span<const DecayedParam> params) {
  float value = 0.0f;
  for (size_t first = 0; decay_batch_starts(first, params.size()); first += kDecayBatch) {
    const DecayBatch b = decay_batch(params, first);
    double sum = 0.0;
    for (int k = 0; k < b.count; ++k) sum += block_sum_on_host(b.n[k], SquareTerm{b.w[k]});
    const float v = decay_value(lambda, sum);
    value = first > 0 ? value + v : v;
  }
  return value;
}

}  // namespace strata

#if defined(__CUDACC__)
#include "core/backend.h"
#include "core/cuda/block_sum.cuh"
#include "core/cuda/check.h"
#include "core/cuda/handles.h"

namespace strata::cuda {

// *out = finish(sum of term(i), i < n): one block, block_sum's order.
template <class Term, class Finish>
__global__ void sum_to_scalar_kernel(int64_t n, Term term, Finish finish, float* out) {
  const double s = block_sum(n, term);
  if (threadIdx.x == 0) *out = finish(s);
}

template <class Term, class Finish>
void launch_sum_to_scalar(const char* file, int line, const char* what, const CudaBackend& be,
                          int64_t n, float* out, const Term& term, const Finish& finish) {
  sum_to_scalar_kernel<<<1, kSumThreads, 0, stream_of(be)>>>(n, term, finish, out);
  check_launch(what, file, line);
}

}  // namespace strata::cuda

// *out = finish(the sum of term(i) for i < n), on be's stream, the launch checked here:
//   STRATA_SUM_TO_SCALAR(be, n, out, SomeTerm{...}, SomeFinish{...});
#define STRATA_SUM_TO_SCALAR(be, n, out, ...) \
  ::strata::cuda::launch_sum_to_scalar(__FILE__, __LINE__, #__VA_ARGS__, be, n, out, __VA_ARGS__)
#endif
