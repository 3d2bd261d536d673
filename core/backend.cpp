#include "core/backend.h"

namespace strata {

CpuBackend& cpu_backend() {
  static CpuBackend cpu;
  return cpu;
}

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
  STRATA_THROW("no backend for " << device.str()
                                 << " in this build; train on the CPU (device: cpu)");
}

}  // namespace strata
