#include "core/cuda/device.h"

#include <cuda_runtime.h>
#include <cudnn.h>
#include <nccl.h>

#include <sstream>

namespace strata::cuda {

int device_count(std::string* why) {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    if (why) *why = cudaGetErrorString(err);
    return 0;
  }
  return n;
}

std::string device_name(int i) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, i) != cudaSuccess) return "unknown";
  std::ostringstream os;
  os << p.name << ", sm_" << p.major << p.minor << ", "
     << static_cast<double>(p.totalGlobalMem) / (1 << 30) << " GiB (cuDNN " << cudnnGetVersion()
     << ", NCCL " << NCCL_VERSION_CODE << ")";
  return os.str();
}

}  // namespace strata::cuda
