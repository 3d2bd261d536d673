#include "core/ops/activations.h"

#include <bit>
#include <cmath>
#include <cstdint>

#include "core/cpu_threads.h"

namespace strata {

namespace {

// c ? a : b without a branch. GCC (default -ftrapping-math) does not if-convert a float select
// whose arm multiplies or loads, so `o > 0 ? g : s * g` stays a branch per value, does not
// vectorize and mispredicts on random signs (LeakyReLU was 5-8x slower than ReLU). Both arms are
// computed; the chosen value is bit-identical to the ternary's.
inline float select(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}

}  // namespace

void activation_forward(CpuBackend&, const ActivationFn& f, const float* a, float* b, int64_t n) {
  const float s = f.slope;
  switch (f.kind) {
    case ActivationKind::kReLU:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) b[i] = a[i] > 0.0f ? a[i] : 0.0f;
      break;
    case ActivationKind::kLeakyReLU:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) b[i] = select(a[i] > 0.0f, a[i], s * a[i]);
      break;
    case ActivationKind::kSigmoid:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) b[i] = 1.0f / (1.0f + std::exp(-a[i]));
      break;
    case ActivationKind::kTanh:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) b[i] = std::tanh(a[i]);
      break;
  }
}

void activation_backward(CpuBackend&, const ActivationFn& f, const float* o, const float* g,
                         float* d, int64_t n) {
  const float s = f.slope;
  switch (f.kind) {
    case ActivationKind::kReLU:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) d[i] = select(o[i] > 0.0f, g[i], 0.0f);
      break;
    case ActivationKind::kLeakyReLU:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) d[i] = select(o[i] > 0.0f, g[i], s * g[i]);
      break;
    case ActivationKind::kSigmoid:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) d[i] = g[i] * o[i] * (1.0f - o[i]);
      break;
    case ActivationKind::kTanh:
#pragma omp parallel for simd if (n >= kParallelMin)
      for (int64_t i = 0; i < n; ++i) d[i] = g[i] * (1.0f - o[i] * o[i]);
      break;
  }
}

}  // namespace strata
