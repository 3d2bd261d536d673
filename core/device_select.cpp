#include "core/device_select.h"

#include <cstdlib>

#include "core/error.h"
#if STRATA_WITH_CUDA
#include "core/cuda/device.h"
#endif

namespace strata {

DeviceRequest parse_device_request(const std::string& name) {
  if (name == "auto") return DeviceRequest::kAuto;
  if (name == "cpu") return DeviceRequest::kCpu;
  if (name == "cuda") return DeviceRequest::kCuda;
  STRATA_THROW("device '" << name << "' is not one of auto, cpu, cuda");
}

const char* device_request_name(DeviceRequest r) {
  return r == DeviceRequest::kAuto ? "auto" : r == DeviceRequest::kCpu ? "cpu" : "cuda";
}

int visible_gpus(std::string* why) {
#if STRATA_WITH_CUDA
  return cuda::device_count(why);
#else
  if (why) *why = "this Strata was built without CUDA";
  return 0;
#endif
}

bool emulating_device() {
  const char* v = std::getenv("STRATA_TEST_DEVICE");
  if (v == nullptr || *v == '\0') return false;
  STRATA_CHECK(std::string(v) == "emulated",
               "STRATA_TEST_DEVICE='" << v << "': the only test device is 'emulated'");
  return true;
}

std::string describe_device(Device device) {
#if STRATA_WITH_CUDA
  if (device.is_cuda()) return device.str() + " (" + cuda::device_name(device.index) + ")";
#endif
  return device.str();
}

Device select_device(DeviceRequest request, int local_rank) {
  if (request == DeviceRequest::kCpu) return Device::cpu();
  if (emulating_device()) return Device::emulated();
  std::string why;
  const int count = visible_gpus(&why);
  if (count == 0) {
    if (request == DeviceRequest::kAuto) return Device::cpu();
#if STRATA_WITH_CUDA
    STRATA_THROW("device: cuda was asked for, but no GPU is visible to this process ("
                 << why << "); check nvidia-smi and CUDA_VISIBLE_DEVICES, or use device: auto "
                 << "(the GPU when there is one, else the CPU) or device: cpu");
#else
    STRATA_THROW("device: cuda was asked for, but this Strata was built without CUDA; rebuild "
                 << "with the CUDA toolkit (launch/setup.sh --cuda ON), or use device: auto or "
                 << "device: cpu");
#endif
  }
  return Device::cuda((local_rank < 0 ? 0 : local_rank) % count);
}

}  // namespace strata
