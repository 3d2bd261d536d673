#include "core/cuda/launch.cuh"
#include "core/error.h"
#include "core/ops/kernels/precision.h"
#include "core/ops/round_operands.h"

namespace strata {

void round_operands(CudaBackend& be, Precision p, const float* in, float* out, int64_t n) {
  STRATA_CHECK(p != Precision::kFp32, "round_operands: fp32 operands are used as they are");
  STRATA_GRID_STRIDE(be, n, RoundOperandBody{in, out, p});
}

void to_bf16(CudaBackend& be, const float* in, uint16_t* out, int64_t n) {
  STRATA_GRID_STRIDE(be, n, ToBf16Body{in, out});
}

}  // namespace strata
