// round_operands: a GEMM or convolution operand rounded to the model's precision
// (core/precision.h), the values kept in fp32; to_bf16: the same values as bfloat16 patterns (the
// CUDA dense op's cuBLASLt operands). The roundings are core/ops/kernels/precision.h's. CPU:
// round_operands.cpp; CUDA: round_operands.cu.
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/precision.h"

namespace strata {

// out[i] = in[i] rounded to p (in == out allowed). Not for fp32: the fp32 ops take their operands
// as they are, with no pass over them.
void round_operands(CpuBackend& be, Precision p, const float* in, float* out, int64_t n);

#if STRATA_WITH_CUDA
void round_operands(CudaBackend& be, Precision p, const float* in, float* out, int64_t n);
void to_bf16(CudaBackend& be, const float* in, uint16_t* out, int64_t n);
#endif

}  // namespace strata
