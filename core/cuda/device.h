// What the CUDA runtime sees: the GPUs (strata info, device choice). CUDA build only.
#pragma once

#include <string>

namespace strata::cuda {

// Number of CUDA devices; 0 (with the runtime's reason in *why) when there are none or no driver.
int device_count(std::string* why);
// "NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB" for device i.
std::string device_name(int i);

}  // namespace strata::cuda
