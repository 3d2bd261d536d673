// Internal to core/layers/batchnorm*.cpp: the per-block loops of BatchNorm (batchnorm.h), shared
// by the local path (batchnorm.cpp: all steps in one parallel loop) and the synchronised path
// (batchnorm_sync.cpp: the same steps in separate parallel loops around each cross-rank sum), so
// that both compute exactly the same thing from the same statistics.
//
// Channel c of an [N, C, S] view (S = H * W, or 1 for [N, C]) is the N runs of S contiguous
// values at i * C * S + c * S. Every loop runs over blocks of channels in parallel (each
// channel's statistics and gradients are its own, so threads never share an output).
#pragma once

#include <cstdint>

namespace strata::detail {

constexpr int64_t kParallelMin = 16384;  // values; below this, a parallel loop costs more

// Channels are processed in blocks: one channel at a time for 2-D input (its S values per sample
// are contiguous, and their partial sums vectorise), 64 at a time for 1-D input (S = 1: the block's
// values are contiguous within each sample's row, so rows are read in order rather than with a
// stride of C). Per-row partial sums are float (at most S values), totals double.
constexpr int64_t kBlock1d = 64;

struct Blocks {
  int64_t size, count;
  Blocks(int64_t C, int64_t S) : size(S == 1 ? kBlock1d : 1), count((C + size - 1) / size) {}
};

// Calls f(offset of channel c in sample i, j) for each sample i and channel c0 + j of the block.
template <class F>
inline void for_block(int64_t n, int64_t C, int64_t S, int64_t c0, int64_t nb, F&& f) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < nb; ++j) f((i * C + c0 + j) * S, j);
}

// The per-block steps: a block of nb channels from c0, over n samples of C channels of S values.
struct BlockArgs {
  int64_t n, C, S, c0, nb;
};

// sum[j] += the values of channel c0 + j.
inline void block_sum(const BlockArgs& k, const float* xp, double* sum) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    float p = 0.0f;
#pragma omp simd reduction(+ : p)
    for (int64_t s = 0; s < k.S; ++s) p += xs[s];
    sum[j] += p;
  });
}

// sq[j] += the squared deviations of channel c0 + j about mean[j]. A second pass rather than
// sum(x^2) - m * mean^2: no cancellation when |mean| >> std.
inline void block_sq_dev(const BlockArgs& k, const float* xp, const float* mean, double* sq) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    const float mu = mean[j];
    float p = 0.0f;
#pragma omp simd reduction(+ : p)
    for (int64_t s = 0; s < k.S; ++s) p += (xs[s] - mu) * (xs[s] - mu);
    sq[j] += p;
  });
}

// y = (x - mean) * scale + shift, per channel of the block.
inline void block_affine(const BlockArgs& k, const float* xp, float* yp, const float* mean,
                         const float* scale, const float* shift) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    float* ys = yp + off;
    const float mu = mean[j], kk = scale[j], t = shift[j];
#pragma omp simd
    for (int64_t s = 0; s < k.S; ++s) ys[s] = (xs[s] - mu) * kk + t;
  });
}

// sdy[j] += sum(dy), sdyx[j] += sum(dy * xhat) over channel c0 + j.
inline void block_grad_sums(const BlockArgs& k, const float* xp, const float* gp, const float* mean,
                            const float* inv, double* sdy, double* sdyx) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    const float* gs = gp + off;
    const float mu = mean[j], iv = inv[j];
    float p = 0.0f, q = 0.0f;
#pragma omp simd reduction(+ : p, q)
    for (int64_t s = 0; s < k.S; ++s) {
      p += gs[s];
      q += gs[s] * ((xs[s] - mu) * iv);
    }
    sdy[j] += p;
    sdyx[j] += q;
  });
}

// Through the batch statistics: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)),
// with a = mean(dy) and bx = mean(dy * xhat) over the batch the statistics came from.
inline void block_dx_train(const BlockArgs& k, const float* xp, const float* gp, float* dp,
                           const float* mean, const float* inv, const float* scale, const float* a,
                           const float* bx) {
  for_block(k.n, k.C, k.S, k.c0, k.nb, [&](int64_t off, int64_t j) {
    const float* xs = xp + off;
    const float* gs = gp + off;
    float* ds = dp + off;
    const float mu = mean[j], iv = inv[j], kk = scale[j], aa = a[j], bb = bx[j];
#pragma omp simd
    for (int64_t s = 0; s < k.S; ++s) ds[s] = kk * (gs[s] - aa - (xs[s] - mu) * iv * bb);
  });
}

}  // namespace strata::detail
