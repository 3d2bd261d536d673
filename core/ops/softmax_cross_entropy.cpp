// softmax_cross_entropy on the CPU: detail::chunked_sum (reduce.h) over the rows, each row's loss
// summed in double; forward_backward writes the softmax into the gradient's row as it goes.
#include "core/ops/softmax_cross_entropy.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_threads.h"
#include "core/ops/reduce.h"

namespace strata {

namespace {

// Rows below which the sum runs as one chunk: about kParallelMin values.
int64_t parallel_rows(int64_t k) {
  return std::max<int64_t>(1, kParallelMin / k);
}

}  // namespace

void softmax_cross_entropy_forward_backward(CpuBackend&, int64_t n, int64_t k, const float* z,
                                            const float* t, float* d, float* loss) {
  const float inv_n = 1.0f / static_cast<float>(n);
  const double sum = detail::chunked_sum(
      n,
      [&](int64_t b, int64_t e) {
        double s = 0.0;
        for (int64_t r = b; r < e; ++r) {
          const float* zr = z + r * k;
          float* dr = d + r * k;
          const int64_t y = static_cast<int64_t>(t[r]);
          float m = zr[0];
          for (int64_t j = 1; j < k; ++j) m = std::max(m, zr[j]);
          double se = 0.0;
#pragma omp simd reduction(+ : se)
          for (int64_t j = 0; j < k; ++j) {
            dr[j] = std::exp(zr[j] - m);
            se += dr[j];
          }
          const float scale = static_cast<float>(1.0 / se) * inv_n;
#pragma omp simd
          for (int64_t j = 0; j < k; ++j) dr[j] *= scale;
          dr[y] -= inv_n;
          s += std::log(se) - (static_cast<double>(zr[y]) - m);
        }
        return s;
      },
      parallel_rows(k));
  *loss = static_cast<float>(sum / static_cast<double>(n));
}

void softmax_cross_entropy_forward(CpuBackend&, int64_t n, int64_t k, const float* z,
                                   const float* t, float* loss) {
  const double sum = detail::chunked_sum(
      n,
      [&](int64_t b, int64_t e) {
        double s = 0.0;
        for (int64_t r = b; r < e; ++r) {
          const float* zr = z + r * k;
          const int64_t y = static_cast<int64_t>(t[r]);
          float m = zr[0];
          for (int64_t j = 1; j < k; ++j) m = std::max(m, zr[j]);
          double se = 0.0;
#pragma omp simd reduction(+ : se)
          for (int64_t j = 0; j < k; ++j) se += std::exp(zr[j] - m);
          s += std::log(se) - (static_cast<double>(zr[y]) - m);
        }
        return s;
      },
      parallel_rows(k));
  *loss = static_cast<float>(sum / static_cast<double>(n));
}

}  // namespace strata
