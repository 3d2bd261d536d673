// batchnorm on the CPU: every loop runs over blocks of channels in parallel (each channel's
// statistics and gradients are its own, so threads never share an output); the local and the
// synchronised paths share the per-block steps, so that both compute exactly the same thing.
//
// Channel c of an [N, C, S] view is the N runs of S contiguous values at i * C * S + c * S.
#include "core/ops/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_threads.h"

namespace strata {

namespace {

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

}  // namespace

void batchnorm_forward(CpuBackend&, const BatchNormArgs& a, const BatchNormBuffers& bufs,
                       bool train, const float* xp, float* yp) {
  const int64_t n = a.n, C = a.C, S = a.S, m = n * S;
  const float* g = bufs.gamma;
  const float* b = bufs.beta;
  float* rm = bufs.running_mean;
  float* rv = bufs.running_var;
  float* mp = bufs.mean;
  float* ip = bufs.invstd;
  const double eps = a.eps;
  const float mom = a.momentum;
  const double unbias = static_cast<double>(m) / static_cast<double>(m - 1);
  const Blocks blocks(C, S);

#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    const BlockArgs k{n, C, S, c0, nb};
    float mean[kBlock1d], scale[kBlock1d], shift[kBlock1d];
    if (train) {
      double sum[kBlock1d] = {}, sq[kBlock1d] = {};
      block_sum(k, xp, sum);
      for (int64_t j = 0; j < nb; ++j)
        mean[j] = static_cast<float>(sum[j] / static_cast<double>(m));
      block_sq_dev(k, xp, mean, sq);
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t c = c0 + j;
        const double var = sq[j] / static_cast<double>(m);  // biased: what normalises the batch
        const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
        mp[c] = mean[j];
        ip[c] = inv;
        scale[j] = (g ? g[c] : 1.0f) * inv;
        rm[c] = (1.0f - mom) * rm[c] + mom * mean[j];
        rv[c] = (1.0f - mom) * rv[c] + mom * static_cast<float>(var * unbias);  // unbiased
      }
    } else {
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t c = c0 + j;
        mean[j] = rm[c];
        scale[j] = static_cast<float>((g ? g[c] : 1.0f) / std::sqrt(rv[c] + eps));
      }
    }
    for (int64_t j = 0; j < nb; ++j) shift[j] = b ? b[c0 + j] : 0.0f;
    block_affine(k, xp, yp, mean, scale, shift);
  }
}

void batchnorm_backward(CpuBackend&, const BatchNormArgs& ar, const BatchNormBuffers& bufs,
                        bool train, const float* xp, const float* gp, float* dg, float* db,
                        float* dp) {
  const int64_t n = ar.n, C = ar.C, S = ar.S, m = n * S;
  const bool pgrads = dg != nullptr;
  const float* g = bufs.gamma;
  const float* rm = bufs.running_mean;
  const float* rv = bufs.running_var;
  const float* mp = bufs.mean;
  const float* ip = bufs.invstd;
  const double eps = ar.eps;
  const Blocks blocks(C, S);

#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    const BlockArgs kb{n, C, S, c0, nb};
    // Train mode: the statistics of the forward's batch; eval mode: the running statistics.
    float mean[kBlock1d], inv[kBlock1d], k[kBlock1d], a[kBlock1d], bx[kBlock1d];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t c = c0 + j;
      mean[j] = train ? mp[c] : rm[c];
      inv[j] = train ? ip[c] : static_cast<float>(1.0 / std::sqrt(rv[c] + eps));
      k[j] = (g ? g[c] : 1.0f) * inv[j];
    }
    if (train || pgrads) {
      double sdy[kBlock1d] = {}, sdyx[kBlock1d] = {};  // sum(dy), sum(dy * xhat)
      block_grad_sums(kb, xp, gp, mean, inv, sdy, sdyx);
      for (int64_t j = 0; j < nb; ++j) {
        if (pgrads) {
          dg[c0 + j] += static_cast<float>(sdyx[j]);
          db[c0 + j] += static_cast<float>(sdy[j]);
        }
        a[j] = static_cast<float>(sdy[j] / static_cast<double>(m));
        bx[j] = static_cast<float>(sdyx[j] / static_cast<double>(m));
      }
    }
    if (!dp) continue;
    if (train) {
      block_dx_train(kb, xp, gp, dp, mean, inv, k, a, bx);
    } else {  // fixed statistics: an affine map
      for_block(n, C, S, c0, nb, [&](int64_t off, int64_t j) {
        const float* gs = gp + off;
        float* ds = dp + off;
        const float kk = k[j];
#pragma omp simd
        for (int64_t s = 0; s < S; ++s) ds[s] = kk * gs[s];
      });
    }
  }
}

void batchnorm_sync_sums(CpuBackend&, const BatchNormArgs& a, const float* xp, float* buf) {
  const int64_t n = a.n, C = a.C, S = a.S;
  const Blocks blocks(C, S);
#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    double sum[kBlock1d] = {};
    block_sum(BlockArgs{n, C, S, c0, nb}, xp, sum);
    for (int64_t j = 0; j < nb; ++j) buf[c0 + j] = static_cast<float>(sum[j]);
  }
}

void batchnorm_sync_deviations(CpuBackend&, const BatchNormArgs& a, int64_t M, const float* sums,
                               const float* xp, float* mp, float* sq_out) {
  const int64_t n = a.n, C = a.C, S = a.S;
  const double md = static_cast<double>(M);
  const Blocks blocks(C, S);
#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    double sq[kBlock1d] = {};
    for (int64_t j = 0; j < nb; ++j) mp[c0 + j] = static_cast<float>(sums[c0 + j] / md);
    block_sq_dev(BlockArgs{n, C, S, c0, nb}, xp, mp + c0, sq);
    for (int64_t j = 0; j < nb; ++j) sq_out[c0 + j] = static_cast<float>(sq[j]);
  }
}

void batchnorm_sync_normalize(CpuBackend&, const BatchNormArgs& a, int64_t M,
                              const BatchNormBuffers& bufs, const float* sq, const float* xp,
                              float* yp) {
  const int64_t n = a.n, C = a.C, S = a.S;
  const float* g = bufs.gamma;
  const float* b = bufs.beta;
  float* rm = bufs.running_mean;
  float* rv = bufs.running_var;
  const float* mp = bufs.mean;
  float* ip = bufs.invstd;
  const double eps = a.eps, md = static_cast<double>(M);
  const float mom = a.momentum;
  // The running statistics are the same on every rank: they come from the same sums.
  const double unbias = md / (md - 1.0);
  const Blocks blocks(C, S);
#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    float scale[kBlock1d], shift[kBlock1d];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t c = c0 + j;
      const double var = sq[c] / md;  // biased: what normalises the batch
      const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
      ip[c] = inv;
      scale[j] = (g ? g[c] : 1.0f) * inv;
      shift[j] = b ? b[c] : 0.0f;
      rm[c] = (1.0f - mom) * rm[c] + mom * mp[c];
      rv[c] = (1.0f - mom) * rv[c] + mom * static_cast<float>(var * unbias);  // unbiased
    }
    block_affine(BlockArgs{n, C, S, c0, nb}, xp, yp, mp + c0, scale, shift);
  }
}

void batchnorm_sync_grad_sums(CpuBackend&, const BatchNormArgs& a, const BatchNormBuffers& bufs,
                              const float* xp, const float* gp, float* dg, float* db, float* buf) {
  const int64_t n = a.n, C = a.C, S = a.S;
  const float* mp = bufs.mean;
  const float* ip = bufs.invstd;
  const Blocks blocks(C, S);
#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    double sdy[kBlock1d] = {}, sdyx[kBlock1d] = {};
    block_grad_sums(BlockArgs{n, C, S, c0, nb}, xp, gp, mp + c0, ip + c0, sdy, sdyx);
    for (int64_t j = 0; j < nb; ++j) {
      if (dg) {
        dg[c0 + j] += static_cast<float>(sdyx[j]);
        db[c0 + j] += static_cast<float>(sdy[j]);
      }
      buf[c0 + j] = static_cast<float>(sdy[j]);
      buf[C + c0 + j] = static_cast<float>(sdyx[j]);
    }
  }
}

void batchnorm_sync_dx(CpuBackend&, const BatchNormArgs& ar, int64_t M,
                       const BatchNormBuffers& bufs, const float* buf, const float* xp,
                       const float* gp, float* dp) {
  const int64_t n = ar.n, C = ar.C, S = ar.S;
  const float* g = bufs.gamma;
  const float* mp = bufs.mean;
  const float* ip = bufs.invstd;
  const double md = static_cast<double>(M);
  const Blocks blocks(C, S);
#pragma omp parallel for if (n * C * S >= kParallelMin)
  for (int64_t bi = 0; bi < blocks.count; ++bi) {
    const int64_t c0 = bi * blocks.size, nb = std::min(blocks.size, C - c0);
    float k[kBlock1d], a[kBlock1d], bx[kBlock1d];
    for (int64_t j = 0; j < nb; ++j) {
      const int64_t c = c0 + j;
      k[j] = (g ? g[c] : 1.0f) * ip[c];
      a[j] = static_cast<float>(buf[c] / md);
      bx[j] = static_cast<float>(buf[C + c] / md);
    }
    block_dx_train(BlockArgs{n, C, S, c0, nb}, xp, gp, dp, mp + c0, ip + c0, k, a, bx);
  }
}

}  // namespace strata
