// The operand rounding of the tf32 and bf16 precisions (core/precision.h), compiled for the host
// and the GPU: the CPU ops round their GEMM and convolution operands with these before their fp32
// products, the CUDA ops convert operands with the same bodies, and
// tests/core/ops/kernels/precision_test.cpp checks them value by value.
//   bf16  round to nearest, ties to even, on the upper 16 bits of the fp32 pattern (what
//         __float2bfloat16_rn and PyTorch's .to(torch.bfloat16) do); inf stays inf, a NaN stays a
//         NaN (quiet, same sign), subnormals round like any other value, and values past the
//         largest bf16 round to inf.
//   tf32  round to nearest, ties away from zero, to 10 mantissa bits (PTX's cvt.rna.tf32.f32, the
//         conversion CUTLASS's TF32 kernels apply to fp32 operands); inf and NaN are kept as
//         they are. Which conversion a cuBLAS or cuDNN kernel applies is not documented: one that
//         hands the fp32 bits to the tensor cores, which read only the upper 19, truncates, and
//         differs from this by at most one TF32 ulp per operand (the GPU tests allow it).
#pragma once

#include <cstdint>
#include <cstring>

#include "core/host_device.h"
#include "core/precision.h"

namespace strata {

STRATA_HD inline uint32_t float_bits(float v) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(v);
#else
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
#endif
}

STRATA_HD inline float bits_float(uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
#endif
}

STRATA_HD inline bool bits_nan(uint32_t b) {
  return (b & 0x7F800000u) == 0x7F800000u && (b & 0x007FFFFFu) != 0;
}

// The bfloat16 nearest to v (ties to even), as its 16-bit pattern: what a GPU kernel stores
// where cuBLASLt reads CUDA_R_16BF.
STRATA_HD inline uint16_t bf16_bits(float v) {
  const uint32_t b = float_bits(v);
  if (bits_nan(b)) return static_cast<uint16_t>((b | 0x00400000u) >> 16);  // quiet, same sign
  const uint32_t rounded = b + 0x7FFFu + ((b >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

// The value of a bfloat16 pattern as fp32 (exact).
STRATA_HD inline float bf16_value(uint16_t h) {
  return bits_float(static_cast<uint32_t>(h) << 16);
}

// v rounded to bfloat16, kept in fp32.
STRATA_HD inline float round_to_bf16(float v) {
  return bf16_value(bf16_bits(v));
}

// v rounded to TF32 (ties away from zero), kept in fp32.
STRATA_HD inline float round_to_tf32(float v) {
  const uint32_t b = float_bits(v);
  if ((b & 0x7F800000u) == 0x7F800000u) return v;  // inf and NaN as they are
  return bits_float((b + 0x1000u) & 0xFFFFE000u);
}

// v rounded to the operand precision p (fp32: v itself).
STRATA_HD inline float round_operand(Precision p, float v) {
  return p == Precision::kBf16 ? round_to_bf16(v) : p == Precision::kTf32 ? round_to_tf32(v) : v;
}

// out[i] = in[i] rounded to p, in fp32 (the CPU ops' operands; the CUDA convolution's bf16
// operands). in and out may be the same array.
struct RoundOperandBody {
  const float* in;
  float* out;
  Precision p;
  STRATA_HD void operator()(int64_t i) const { out[i] = round_operand(p, in[i]); }
};

// out[i] = in[i] as bfloat16 patterns (the CUDA dense op's bf16 operands for cuBLASLt).
struct ToBf16Body {
  const float* in;
  uint16_t* out;
  STRATA_HD void operator()(int64_t i) const { out[i] = bf16_bits(in[i]); }
};

}  // namespace strata
