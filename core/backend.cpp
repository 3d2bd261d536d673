#include "core/backend.h"

#include "core/step_capture.h"

namespace strata {

void Backend::synchronize() const {
  check_not_capturing("waiting for the device");
}

CpuBackend& cpu_backend() {
  static CpuBackend cpu;
  return cpu;
}

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
  if (device.is_emulated()) {
    static CpuBackend emulated(Device::emulated());
    return emulated;
  }
#if STRATA_WITH_CUDA
  return cuda_backend(device.index);
#else
  STRATA_THROW(device.str() << " was asked for, but this Strata was built without CUDA; use "
                            << "device: cpu, or rebuild with -DSTRATA_CUDA=ON on a machine with "
                            << "the CUDA toolkit (launch/setup.sh --cuda ON)");
#endif
}

}  // namespace strata
