#include "core/ops/fill.h"

namespace strata {

void fill(CpuBackend&, float* data, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) data[i] = value;
}

}  // namespace strata
