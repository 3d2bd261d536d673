// Elementwise activations, forward y = f(x) and backward dx = dy * f'(from y): ReLU, LeakyReLU
// (slope for x <= 0), Sigmoid, Tanh. CPU: activations.cpp; CUDA: activations.cu (bodies in
// kernels/activations.h).
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

enum class ActivationKind { kReLU, kLeakyReLU, kSigmoid, kTanh };

// The function of one value, the same on every device (the backward needs only y).
struct ActivationFn {
  ActivationKind kind = ActivationKind::kReLU;
  float slope = 0.01f;  // LeakyReLU
};

void activation_forward(CpuBackend& be, const ActivationFn& f, const float* x, float* y, int64_t n);
void activation_backward(CpuBackend& be, const ActivationFn& f, const float* y, const float* dy,
                         float* dx, int64_t n);

#if STRATA_WITH_CUDA
void activation_forward(CudaBackend& be, const ActivationFn& f, const float* x, float* y,
                        int64_t n);
void activation_backward(CudaBackend& be, const ActivationFn& f, const float* y, const float* dy,
                         float* dx, int64_t n);
#endif

}  // namespace strata
