// CPU threads: the one pool that Strata's OpenMP loops and OpenBLAS share (Debian's OpenMP build
// of OpenBLAS runs a GEMM called inside a parallel region on the calling thread), and when a loop
// is worth running on it.
#pragma once

#include <cstdint>

namespace strata {

// The number of threads the CPU kernels use.
int cpu_threads();
void set_cpu_threads(int n);

// Below this many values a parallel loop costs more than it saves. Elementwise loops give the
// same values either way; the chunked sums of the loss and penalty ops (core/ops/reduce.h) do not
// depend on the thread count but do on whether they are chunked, so changing this changes loss
// values in their last bits.
constexpr int64_t kParallelMin = 16384;

}  // namespace strata
