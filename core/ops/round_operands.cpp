#include "core/ops/round_operands.h"

#include "core/cpu_threads.h"
#include "core/error.h"
#include "core/ops/kernels/precision.h"

namespace strata {

void round_operands(CpuBackend&, Precision p, const float* in, float* out, int64_t n) {
  STRATA_CHECK(p != Precision::kFp32, "round_operands: fp32 operands are used as they are");
  const RoundOperandBody body{in, out, p};
#pragma omp parallel for if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) body(i);
}

}  // namespace strata
