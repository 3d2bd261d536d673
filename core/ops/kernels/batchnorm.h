// The BatchNorm kernels' arithmetic, compiled for the host and the GPU (core/ops/batchnorm.cu runs
// it; tests/core/ops/kernels/batchnorm_test.cpp runs it on the CPU against batchnorm.cpp).
//
// Channel c of the [n, C, S] view holds m = n * S values; its k-th (k < m, sample-major) is at
// (k / S * C + c) * S + k % S. Two kinds of kernel:
// - per channel, one block of kSumThreads threads: the channel's sums with the deterministic block
//   sum (core/ops/kernels/block_sum.h), in double, then thread 0 writes the per-channel results
//   (and, for the local backward, every thread writes dx for its values);
// - elementwise grid-stride bodies: the normalisation and dx, each value reading its channel's
//   statistics.
// Each op's sequence of kernels is written once, below, over an executor: CudaExec in
// batchnorm.cu launches them, the tests run them on the CPU.
//
// The per-value and per-channel expressions are batchnorm.cpp's, rounded step by step as there
// (mul_rn, add_rn, sub_rn of kernels/rounding.h: no FMA contraction on the GPU; double divisions
// and square roots are correctly rounded on both). The terms of the sums are the CPU's float
// values; the CPU adds each sample's run of S terms in float (vectorised, in the compiler's order)
// and the runs in double, where the kernels add every term in double in the block sum's order. So
// the sums, and what is computed from them, agree to rounding, not bit for bit; what is computed
// from given statistics or sums (eval mode's y and dx, batchnorm_sync_normalize, batchnorm_sync_dx,
// the mean of batchnorm_sync_deviations) is the CPU's bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "core/ops/batchnorm.h"
#include "core/ops/kernels/block_sum.h"
#include "core/ops/kernels/launch.h"
#include "core/ops/kernels/rounding.h"

namespace strata {

// ---- The [n, C, S] view ----

struct BnLayout {
  int64_t n = 0, C = 0, S = 1;
  STRATA_HD int64_t per_channel() const { return n * S; }  // m
  STRATA_HD int64_t size() const { return n * C * S; }
  // The flat index of channel c's k-th value.
  STRATA_HD int64_t at(int64_t c, int64_t k) const {
    const int64_t i = k / S;
    return (i * C + c) * S + (k - i * S);
  }
  // The channel of flat index j.
  STRATA_HD int64_t channel(int64_t j) const { return (j / S) % C; }
};

inline BnLayout bn_layout(const BatchNormArgs& a) {
  return BnLayout{a.n, a.C, a.S};
}

// The per-channel kernels' grid: one block of kSumThreads threads per channel, in gridDim.x
// (at most kBnMaxChannels blocks; the ops refuse more channels).
inline constexpr int64_t kBnMaxChannels = 2147483647;
inline Launch bn_channel_launch(int64_t C) {
  if (C <= 0) return {};
  return {static_cast<uint32_t>(C), static_cast<uint32_t>(kSumThreads)};
}

// ---- Per value ----

STRATA_HD inline float bn_gamma(const float* g, int64_t c) {
  return g ? g[c] : 1.0f;
}
STRATA_HD inline float bn_beta(const float* b, int64_t c) {
  return b ? b[c] : 0.0f;
}

STRATA_HD inline float bn_xhat(float x, float mean, float invstd) {
  return mul_rn(sub_rn(x, mean), invstd);
}
// y = (x - mean) * scale + shift.
STRATA_HD inline float bn_affine(float x, float mean, float scale, float shift) {
  return add_rn(mul_rn(sub_rn(x, mean), scale), shift);
}
// dx through the batch statistics: scale * (dy - a - xhat * bx), a = mean(dy) and
// bx = mean(dy * xhat) over the batch the statistics came from, scale = gamma * invstd.
struct BnDxConsts {
  float mean, invstd, scale, a, bx;
};
STRATA_HD inline float bn_dx(float dy, float x, const BnDxConsts& k) {
  return mul_rn(k.scale, sub_rn(sub_rn(dy, k.a), mul_rn(bn_xhat(x, k.mean, k.invstd), k.bx)));
}

// ---- Per channel ----

// mean = sum / count, a = sum(dy) / count, bx = sum(dy * xhat) / count: in double, then float.
STRATA_HD inline float bn_ratio(double sum, double count) {
  return static_cast<float>(sum / count);
}
// 1 / sqrt(var + eps) of a biased variance (train mode) or a running variance (eval mode).
STRATA_HD inline float bn_invstd(double var, double eps) {
  return static_cast<float>(1.0 / std::sqrt(var + eps));
}
// Eval mode's forward scale, gamma / sqrt(running_var + eps), divided in double (the backward
// multiplies gamma by bn_invstd instead, as the CPU op does: the two can differ in the last bit).
STRATA_HD inline float bn_eval_scale(float gamma, float running_var, double eps) {
  return static_cast<float>(static_cast<double>(gamma) /
                            std::sqrt(static_cast<double>(running_var) + eps));
}
// PyTorch's momentum: (1 - momentum) * running + momentum * value.
STRATA_HD inline float bn_running(float running, float momentum, float value) {
  return add_rn(mul_rn(1.0f - momentum, running), mul_rn(momentum, value));
}
// Train mode's per-channel outputs from the mean and the biased variance var of m values:
// invstd, and the running statistics with the unbiased variance var * m / (m - 1).
STRATA_HD inline void bn_store_train_stats(const BatchNormBuffers& b, int64_t c, float mean,
                                           double var, double count, double eps, float momentum) {
  const double unbias = count / (count - 1.0);
  b.invstd[c] = bn_invstd(var, eps);
  b.running_mean[c] = bn_running(b.running_mean[c], momentum, mean);
  b.running_var[c] = bn_running(b.running_var[c], momentum, static_cast<float>(var * unbias));
}

// ---- Terms of the per-channel sums (term(k) for channel c's k-th value) ----

struct BnValueTerm {  // v
  const float* v;
  BnLayout l;
  int64_t c;
  STRATA_HD double operator()(int64_t k) const { return v[l.at(c, k)]; }
};

struct BnSqDevTerm {  // (x - mean)^2, in float
  const float* x;
  BnLayout l;
  int64_t c;
  float mean;
  STRATA_HD double operator()(int64_t k) const {
    const float d = sub_rn(x[l.at(c, k)], mean);
    return mul_rn(d, d);
  }
};

struct BnDyXhatTerm {  // dy * xhat, in float
  const float* x;
  const float* dy;
  BnLayout l;
  int64_t c;
  float mean, invstd;
  STRATA_HD double operator()(int64_t k) const {
    const int64_t j = l.at(c, k);
    return mul_rn(dy[j], bn_xhat(x[j], mean, invstd));
  }
};

// ---- Per-channel kernels ----
// Each is a struct with
//   template <class Sum> STRATA_HD State reduce(int64_t c, const Sum& sum) const;
//   STRATA_HD void finish(int64_t c, int t, const State& s) const;
// The kernel of channel c runs reduce() on every thread of the block (sum(n, term) is the block's
// deterministic sum: every thread gets the same value), then finish() with the thread's index t,
// in which thread 0 writes the per-channel results. Whatever reduce() reads of a per-channel
// buffer it reads before its first sum, and finish() writes only after the last, so an output may
// alias an input (batchnorm_sync_deviations is called with sq == sums).

// Local train-mode forward: the batch's mean, then the squared deviations about it.
struct BnTrainStatsKernel {
  struct State {
    float mean;
    double var;  // biased
  };
  BnLayout l;
  const float* x;
  BatchNormBuffers b;
  double eps;
  float momentum;
  template <class Sum>
  STRATA_HD State reduce(int64_t c, const Sum& sum) const {
    const int64_t m = l.per_channel();
    const double md = static_cast<double>(m);
    const float mean = bn_ratio(sum(m, BnValueTerm{x, l, c}), md);
    return {mean, sum(m, BnSqDevTerm{x, l, c, mean}) / md};
  }
  STRATA_HD void finish(int64_t c, int t, const State& s) const {
    if (t != 0) return;
    b.mean[c] = s.mean;
    bn_store_train_stats(b, c, s.mean, s.var, static_cast<double>(l.per_channel()), eps, momentum);
  }
};

// Local backward through the batch statistics (train) or the running ones (eval): sum(dy) and
// sum(dy * xhat), which dgamma and dbeta accumulate; in train mode every thread then writes dx for
// its values of the channel (k = t, t + kSumThreads, ...): the op has no scratch in which to hand
// the per-channel a and bx to a separate elementwise kernel.
struct BnBackwardKernel {
  struct State {
    BnDxConsts k;
    double sdy, sdyx;
  };
  BnLayout l;
  const float* x;
  const float* dy;
  BatchNormBuffers b;
  bool train;
  double eps;
  float* dgamma;  // null: not accumulated
  float* dbeta;
  float* dx;  // null: not written; in eval mode BnEvalDxBody writes it
  template <class Sum>
  STRATA_HD State reduce(int64_t c, const Sum& sum) const {
    const int64_t m = l.per_channel();
    const double md = static_cast<double>(m);
    const float mean = train ? b.mean[c] : b.running_mean[c];
    const float inv = train ? b.invstd[c] : bn_invstd(b.running_var[c], eps);
    const double sdy = sum(m, BnValueTerm{dy, l, c});
    const double sdyx = sum(m, BnDyXhatTerm{x, dy, l, c, mean, inv});
    const BnDxConsts k{mean, inv, mul_rn(bn_gamma(b.gamma, c), inv), bn_ratio(sdy, md),
                       bn_ratio(sdyx, md)};
    return {k, sdy, sdyx};
  }
  STRATA_HD void finish(int64_t c, int t, const State& s) const {
    if (t == 0) {
      if (dgamma) dgamma[c] += static_cast<float>(s.sdyx);
      if (dbeta) dbeta[c] += static_cast<float>(s.sdy);
    }
    if (!train || !dx) return;
    const int64_t m = l.per_channel();
    for (int64_t k = t; k < m; k += kSumThreads) {
      const int64_t j = l.at(c, k);
      dx[j] = bn_dx(dy[j], x[j], s.k);
    }
  }
};

// Synchronised step 1: sums[c] = this rank's sum of channel c.
struct BnSyncSumsKernel {
  BnLayout l;
  const float* x;
  float* sums;
  template <class Sum>
  STRATA_HD double reduce(int64_t c, const Sum& sum) const {
    return sum(l.per_channel(), BnValueTerm{x, l, c});
  }
  STRATA_HD void finish(int64_t c, int t, double s) const {
    if (t == 0) sums[c] = static_cast<float>(s);
  }
};

// Synchronised step 2: mean[c] = sums[c] / M (the global sums), sq[c] = this rank's squared
// deviations about it.
struct BnSyncDeviationsKernel {
  struct State {
    float mean;
    double sq;
  };
  BnLayout l;
  double M;
  const float* sums;
  const float* x;
  float* mean;
  float* sq;
  template <class Sum>
  STRATA_HD State reduce(int64_t c, const Sum& sum) const {
    const float mu = bn_ratio(sums[c], M);
    return {mu, sum(l.per_channel(), BnSqDevTerm{x, l, c, mu})};
  }
  STRATA_HD void finish(int64_t c, int t, const State& s) const {
    if (t != 0) return;
    mean[c] = s.mean;
    sq[c] = static_cast<float>(s.sq);
  }
};

// Synchronised backward 1: dgamma += sum(dy * xhat), dbeta += sum(dy) (when not null), and
// sums[c] = sum(dy), sums[C + c] = sum(dy * xhat), through the forward's statistics.
struct BnSyncGradSumsKernel {
  struct State {
    double sdy, sdyx;
  };
  BnLayout l;
  const float* x;
  const float* dy;
  const float* mean;
  const float* invstd;
  float* dgamma;
  float* dbeta;
  float* sums;
  template <class Sum>
  STRATA_HD State reduce(int64_t c, const Sum& sum) const {
    const int64_t m = l.per_channel();
    const float mu = mean[c], inv = invstd[c];
    const double sdy = sum(m, BnValueTerm{dy, l, c});
    return {sdy, sum(m, BnDyXhatTerm{x, dy, l, c, mu, inv})};
  }
  STRATA_HD void finish(int64_t c, int t, const State& s) const {
    if (t != 0) return;
    if (dgamma) dgamma[c] += static_cast<float>(s.sdyx);
    if (dbeta) dbeta[c] += static_cast<float>(s.sdy);
    sums[c] = static_cast<float>(s.sdy);
    sums[l.C + c] = static_cast<float>(s.sdyx);
  }
};

// ---- Elementwise bodies (grid-stride, over every value, or over the C channels) ----

// Train mode: y = (x - mean) * gamma * invstd + beta from the batch statistics.
struct BnAffineBody {
  BnLayout l;
  const float* x;
  float* y;
  const float* gamma;
  const float* beta;
  const float* mean;
  const float* invstd;
  STRATA_HD void operator()(int64_t j) const {
    const int64_t c = l.channel(j);
    y[j] = bn_affine(x[j], mean[c], mul_rn(bn_gamma(gamma, c), invstd[c]), bn_beta(beta, c));
  }
};

// Eval mode: y = (x - running_mean) * gamma / sqrt(running_var + eps) + beta.
struct BnEvalAffineBody {
  BnLayout l;
  const float* x;
  float* y;
  BatchNormBuffers b;
  double eps;
  STRATA_HD void operator()(int64_t j) const {
    const int64_t c = l.channel(j);
    y[j] =
        bn_affine(x[j], b.running_mean[c],
                  bn_eval_scale(bn_gamma(b.gamma, c), b.running_var[c], eps), bn_beta(b.beta, c));
  }
};

// Eval mode's dx, through fixed statistics: gamma * invstd * dy.
struct BnEvalDxBody {
  BnLayout l;
  const float* dy;
  float* dx;
  const float* gamma;
  const float* running_var;
  double eps;
  STRATA_HD void operator()(int64_t j) const {
    const int64_t c = l.channel(j);
    dx[j] = mul_rn(mul_rn(bn_gamma(gamma, c), bn_invstd(running_var[c], eps)), dy[j]);
  }
};

// Synchronised step 3a, one channel per index: invstd and the running statistics from the global
// squared deviations sq of M values about the mean the buffers hold.
struct BnSyncStatsBody {
  BatchNormBuffers b;
  const float* sq;
  double M, eps;
  float momentum;
  STRATA_HD void operator()(int64_t c) const {
    bn_store_train_stats(b, c, b.mean[c], sq[c] / M, M, eps, momentum);
  }
};

// Synchronised backward 2: dx from the global sums (sums[c] = sum(dy), sums[C + c] =
// sum(dy * xhat)) over M values.
struct BnSyncDxBody {
  BnLayout l;
  double M;
  const float* gamma;
  const float* mean;
  const float* invstd;
  const float* sums;
  const float* x;
  const float* dy;
  float* dx;
  STRATA_HD void operator()(int64_t j) const {
    const int64_t c = l.channel(j);
    const float inv = invstd[c];
    const BnDxConsts k{mean[c], inv, mul_rn(bn_gamma(gamma, c), inv), bn_ratio(sums[c], M),
                       bn_ratio(sums[l.C + c], M)};
    dx[j] = bn_dx(dy[j], x[j], k);
  }
};

// ---- Each op's kernels, in order, over an executor ----
// ex.channels(what, C, kernel): a per-channel kernel over channels 0..C-1;
// ex.elements(what, n, body): a grid-stride body over 0..n-1.

template <class Exec>
void bn_forward_steps(Exec& ex, const BatchNormArgs& a, const BatchNormBuffers& b, bool train,
                      const float* x, float* y) {
  const BnLayout l = bn_layout(a);
  if (!train) {
    ex.elements("batchnorm eval affine", l.size(), BnEvalAffineBody{l, x, y, b, a.eps});
    return;
  }
  ex.channels("batchnorm statistics", a.C, BnTrainStatsKernel{l, x, b, a.eps, a.momentum});
  ex.elements("batchnorm affine", l.size(),
              BnAffineBody{l, x, y, b.gamma, b.beta, b.mean, b.invstd});
}

template <class Exec>
void bn_backward_steps(Exec& ex, const BatchNormArgs& a, const BatchNormBuffers& b, bool train,
                       const float* x, const float* dy, float* dgamma, float* dbeta, float* dx) {
  const BnLayout l = bn_layout(a);
  if (dgamma || dbeta || (train && dx))
    ex.channels("batchnorm backward", a.C,
                BnBackwardKernel{l, x, dy, b, train, a.eps, dgamma, dbeta, dx});
  if (!train && dx)
    ex.elements("batchnorm eval dx", l.size(),
                BnEvalDxBody{l, dy, dx, b.gamma, b.running_var, a.eps});
}

template <class Exec>
void bn_sync_sums_steps(Exec& ex, const BatchNormArgs& a, const float* x, float* sums) {
  ex.channels("batchnorm sync sums", a.C, BnSyncSumsKernel{bn_layout(a), x, sums});
}

template <class Exec>
void bn_sync_deviations_steps(Exec& ex, const BatchNormArgs& a, int64_t M, const float* sums,
                              const float* x, float* mean, float* sq) {
  ex.channels("batchnorm sync deviations", a.C,
              BnSyncDeviationsKernel{bn_layout(a), static_cast<double>(M), sums, x, mean, sq});
}

template <class Exec>
void bn_sync_normalize_steps(Exec& ex, const BatchNormArgs& a, int64_t M, const BatchNormBuffers& b,
                             const float* sq, const float* x, float* y) {
  const BnLayout l = bn_layout(a);
  ex.elements("batchnorm sync statistics", a.C,
              BnSyncStatsBody{b, sq, static_cast<double>(M), a.eps, a.momentum});
  ex.elements("batchnorm sync affine", l.size(),
              BnAffineBody{l, x, y, b.gamma, b.beta, b.mean, b.invstd});
}

template <class Exec>
void bn_sync_grad_sums_steps(Exec& ex, const BatchNormArgs& a, const BatchNormBuffers& b,
                             const float* x, const float* dy, float* dgamma, float* dbeta,
                             float* sums) {
  ex.channels("batchnorm sync grad sums", a.C,
              BnSyncGradSumsKernel{bn_layout(a), x, dy, b.mean, b.invstd, dgamma, dbeta, sums});
}

template <class Exec>
void bn_sync_dx_steps(Exec& ex, const BatchNormArgs& a, int64_t M, const BatchNormBuffers& b,
                      const float* sums, const float* x, const float* dy, float* dx) {
  const BnLayout l = bn_layout(a);
  ex.elements("batchnorm sync dx", l.size(),
              BnSyncDxBody{l, static_cast<double>(M), b.gamma, b.mean, b.invstd, sums, x, dy, dx});
}

}  // namespace strata
