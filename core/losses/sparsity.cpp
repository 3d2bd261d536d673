// Sparsity penalties on one layer's activations a[N, J...] (J units per sample, N samples):
//   KL: P = w sum_j KL(rho || rh_j),  rh_j = clamp(mean_n a[n, j], 1e-6, 1 - 1e-6)
//       dP/da[n, j] = (w / N) (-rho / rh_j + (1 - rho) / (1 - rh_j))
//   L1: P = (w / N) sum_{n, j} |a[n, j]|,   dP/da[n, j] = (w / N) sign(a[n, j])
// With a CrossRankSum, rh_j is the mean over the global batch of all ranks (N the global count in
// rh; the w / N of the gradient stays this rank's n: the trainer scales it by n / N_global).
// The clamp on rh only guards the logarithms: the KL gradient is taken at the clamped mean (not
// zeroed there), so a unit whose mean activation has collapsed to 0 or 1 is still pushed back.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/losses/penalties.h"
#include "core/losses/reduce.h"

namespace strata {

namespace {

constexpr float kRhoMin = 1e-6f, kRhoMax = 1.0f - 1e-6f;

// Samples N and units J of an activation tensor, batch first.
void dims(const Tensor& a, int64_t& n, int64_t& j) {
  STRATA_CHECK(a.rank() >= 1 && a.dim(0) > 0 && a.numel() > 0,
               "sparsity: activations must be [N, ...] with N > 0, got " << a.shape().str());
  n = a.dim(0);
  j = a.numel() / n;
}

void check_rho(const SparsityOptions& o) {
  STRATA_CHECK(o.rho > 0.0f && o.rho < 1.0f,
               "sparsity: the KL target rate rho must lie in (0, 1), got " << o.rho);
}

// out[j] = finish(sum_n a[n, j]), the sum accumulated in double, in blocks of units so that each
// thread reads whole row segments.
template <typename Finish>
void column_reduce(const float* a, int64_t n, int64_t j, float* out, Finish finish) {
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (j + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n * j >= detail::kLossParallelMin && blocks > 1)
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

// out[j] = clamp(mean_n a[n, j]).
void column_means(const float* a, int64_t n, int64_t j, float* out) {
  column_reduce(a, n, j, out, [n](double sum) {
    return std::clamp(static_cast<float>(sum / static_cast<double>(n)), kRhoMin, kRhoMax);
  });
}

// out[j] = sum_n a[n, j] (unclamped), for the cross-rank sum.
void column_sums(const float* a, int64_t n, int64_t j, float* out) {
  column_reduce(a, n, j, out, [](double sum) { return static_cast<float>(sum); });
}

}  // namespace

void SparsityPenalty::means(const float* a, int64_t n, int64_t j) {
  if (rho_hat_.numel() != j) rho_hat_.resize(Shape{j});
  if (sum_ == nullptr) {
    column_means(a, n, j, rho_hat_.data());
    return;
  }
  if (sums_.numel() != j + 2) sums_.resize(Shape{j + 2});
  float* s = sums_.data();
  column_sums(a, n, j, s);
  // The sample count as two exact parts (n / 4096, n % 4096), as synchronised BatchNorm does.
  s[j] = static_cast<float>(n / 4096);
  s[j + 1] = static_cast<float>(n % 4096);
  sum_->sum(s, j + 2);
  const double total = static_cast<double>(s[j]) * 4096.0 + static_cast<double>(s[j + 1]);
  for (int64_t c = 0; c < j; ++c)
    rho_hat_[c] = std::clamp(static_cast<float>(s[c] / total), kRhoMin, kRhoMax);
}

float SparsityPenalty::value(const Tensor& a) {
  int64_t n = 0, j = 0;
  dims(a, n, j);
  const float* x = a.data();
  if (o_.kind == SparsityOptions::Kind::kL1) {
    const double s = detail::chunked_sum(a.numel(), [&](int64_t b, int64_t e) {
      double acc = 0.0;
#pragma omp simd reduction(+ : acc)
      for (int64_t i = b; i < e; ++i) acc += std::fabs(x[i]);
      return acc;
    });
    return static_cast<float>(o_.weight * s / static_cast<double>(n));
  }
  check_rho(o_);
  means(x, n, j);
  const double rho = o_.rho;
  double kl = 0.0;
  for (int64_t c = 0; c < j; ++c) {
    const double rh = rho_hat_[c];
    kl += rho * std::log(rho / rh) + (1.0 - rho) * std::log((1.0 - rho) / (1.0 - rh));
  }
  return static_cast<float>(o_.weight * kl);
}

void SparsityPenalty::add_grad(const Tensor& a, Tensor& da) {
  int64_t n = 0, j = 0;
  dims(a, n, j);
  STRATA_CHECK(da.numel() == a.numel(), "sparsity: gradient " << da.shape().str()
                                                              << " does not match activations "
                                                              << a.shape().str());
  const float* x = a.data();
  float* d = da.data();
  const int64_t total = a.numel();
  const float scale = o_.weight / static_cast<float>(n);
  if (o_.kind == SparsityOptions::Kind::kL1) {
#pragma omp parallel for simd if (total >= detail::kLossParallelMin)
    for (int64_t i = 0; i < total; ++i) d[i] += x[i] > 0.0f ? scale : (x[i] < 0.0f ? -scale : 0.0f);
    return;
  }
  check_rho(o_);
  means(x, n, j);
  float* coef = rho_hat_.data();
  const float rho = o_.rho;
  for (int64_t c = 0; c < j; ++c)  // rho_hat -> per-unit gradient, in place
    coef[c] = scale * (-rho / coef[c] + (1.0f - rho) / (1.0f - coef[c]));
#pragma omp parallel for if (total >= detail::kLossParallelMin)
  for (int64_t r = 0; r < n; ++r) {
    float* dr = d + r * j;
#pragma omp simd
    for (int64_t c = 0; c < j; ++c) dr[c] += coef[c];
  }
}

void SparsityPenalty::attach(Sequential& model, int layer) {
  // The hook keeps a pointer to this penalty: it must outlive the model's backward passes.
  model.add_output_grad_hook(layer, [this](const Tensor& y, Tensor& dy) { add_grad(y, dy); });
}

}  // namespace strata
