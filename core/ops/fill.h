// fill: every value of a buffer set to one value (zeroing gradients). CPU: fill.cpp.
#pragma once

#include <cstdint>

#include "core/backend.h"

namespace strata {

void fill(CpuBackend& be, float* data, int64_t n, float value);

}  // namespace strata
