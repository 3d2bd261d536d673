#include "core/layers/activations.h"

#include <bit>
#include <cmath>
#include <cstdint>

#include "core/error.h"

namespace strata {

namespace {
constexpr int64_t kParallelMin = 16384;  // below this, a parallel loop costs more than it saves

// c ? a : b without a branch. GCC (default -ftrapping-math) does not if-convert a float select
// whose arm multiplies or loads, so `o > 0 ? g : s * g` stays a branch per value, does not
// vectorize and mispredicts on random signs (LeakyReLU was 5-8x slower than ReLU). Both arms are
// computed; the chosen value is bit-identical to the ternary's.
inline float select(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}
}  // namespace

Activation::Activation(ActivationKind kind, float slope) : kind_(kind), slope_(slope) {
  STRATA_CHECK(slope >= 0.0f, "leaky_relu: slope must be >= 0, got " << slope);
}

const char* Activation::kind() const {
  switch (kind_) {
    case ActivationKind::kReLU:
      return "relu";
    case ActivationKind::kLeakyReLU:
      return "leaky_relu";
    case ActivationKind::kSigmoid:
      return "sigmoid";
    case ActivationKind::kTanh:
      return "tanh";
  }
  return "?";
}

void Activation::forward(const Tensor& x, Tensor& y, const StepContext&) {
  const int64_t n = x.numel();
  const float* a = x.data();
  float* b = y.data();
  const float s = slope_;
  switch (kind_) {
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

void Activation::backward(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx,
                          const StepContext&) {
  if (!dx) return;
  const int64_t n = y.numel();
  const float* o = y.data();
  const float* g = dy.data();
  float* d = dx->data();
  const float s = slope_;
  switch (kind_) {
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
