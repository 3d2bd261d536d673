// fp32 and fp64 arithmetic rounded after every operation on the GPU as on the host. nvcc
// contracts a * b + c into one fused multiply-add, rounded once where the CPU op rounds twice; a
// kernel body that must give the CPU's bits writes such products (and the sums after them) with
// these, which the GPU never contracts. On the host they are the plain operators.
#pragma once

#include "core/host_device.h"

namespace strata {

STRATA_HD inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
STRATA_HD inline double mul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
STRATA_HD inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
STRATA_HD inline double add_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
STRATA_HD inline float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

}  // namespace strata
