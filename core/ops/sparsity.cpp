// sparsity on the CPU: column means in double over blocks of units, the L1 value through
// detail::chunked_sum (reduce.h), elementwise gradients.
#include "core/ops/sparsity.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_threads.h"
#include "core/ops/reduce.h"

namespace strata {

namespace {

constexpr float kRhoMin = 1e-6f, kRhoMax = 1.0f - 1e-6f;

// out[j] = finish(sum_n a[n, j]), the sum accumulated in double, in blocks of units so that each
// thread reads whole row segments. Each column is summed in row order whatever the threads.
template <typename Finish>
void column_reduce(const float* a, int64_t n, int64_t j, float* out, Finish finish) {
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (j + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n * j >= kParallelMin && blocks > 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t b = blk * kBlock, w = std::min(j, b + kBlock) - b;
    double acc[kBlock] = {};
    for (int64_t r = 0; r < n; ++r) {
      const float* row = a + r * j + b;
#pragma omp simd
      for (int64_t c = 0; c < w; ++c) acc[c] += row[c];
    }
    for (int64_t c = 0; c < w; ++c) out[b + c] = finish(acc[c]);
  }
}

}  // namespace

void sparsity_l1_value(CpuBackend&, const SparsityArgs& a, const float* x, float* value) {
  const double s = detail::chunked_sum(a.n * a.j, [&](int64_t b, int64_t e) {
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = b; i < e; ++i) acc += std::fabs(x[i]);
    return acc;
  });
  *value = static_cast<float>(a.weight * s / static_cast<double>(a.n));
}

void sparsity_l1_add_grad(CpuBackend&, const SparsityArgs& a, const float* x, float* d) {
  const int64_t total = a.n * a.j;
  const float scale = a.weight / static_cast<float>(a.n);
#pragma omp parallel for simd if (total >= kParallelMin)
  for (int64_t i = 0; i < total; ++i) d[i] += x[i] > 0.0f ? scale : (x[i] < 0.0f ? -scale : 0.0f);
}

void sparsity_column_means(CpuBackend&, int64_t n, int64_t j, const float* x, float* rho_hat) {
  column_reduce(x, n, j, rho_hat, [n](double sum) {
    return std::clamp(static_cast<float>(sum / static_cast<double>(n)), kRhoMin, kRhoMax);
  });
}

void sparsity_column_sums(CpuBackend&, int64_t n, int64_t j, const float* x, float* sums) {
  column_reduce(x, n, j, sums, [](double sum) { return static_cast<float>(sum); });
}

void sparsity_means_from_sums(CpuBackend&, int64_t j, int64_t count, float* s) {
  const double total = static_cast<double>(count);
  for (int64_t c = 0; c < j; ++c)
    s[c] = std::clamp(static_cast<float>(s[c] / total), kRhoMin, kRhoMax);
}

void sparsity_kl_value(CpuBackend&, const SparsityArgs& a, const float* rho_hat, float* value) {
  const double rho = a.rho;
  double kl = 0.0;
  for (int64_t c = 0; c < a.j; ++c) {
    const double rh = rho_hat[c];
    kl += rho * std::log(rho / rh) + (1.0 - rho) * std::log((1.0 - rho) / (1.0 - rh));
  }
  *value = static_cast<float>(a.weight * kl);
}

void sparsity_kl_add_grad(CpuBackend&, const SparsityArgs& a, float* coef, float* d) {
  const int64_t n = a.n, j = a.j, total = n * j;
  const float scale = a.weight / static_cast<float>(n);
  const float rho = a.rho;
  for (int64_t c = 0; c < j; ++c)  // rho_hat -> per-unit gradient, in place
    coef[c] = scale * (-rho / coef[c] + (1.0f - rho) / (1.0f - coef[c]));
#pragma omp parallel for if (total >= kParallelMin)
  for (int64_t r = 0; r < n; ++r) {
    float* dr = d + r * j;
#pragma omp simd
    for (int64_t c = 0; c < j; ++c) dr[c] += coef[c];
  }
}

}  // namespace strata
