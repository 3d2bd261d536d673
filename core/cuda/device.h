// What the CUDA runtime sees. Built only with STRATA_CUDA (the CUDA backend proper comes with the
// CUDA issue); here so that a CUDA build configures, compiles and links end to end.
#pragma once

#include <string>

namespace strata::cuda {

// Number of CUDA devices; 0 (with the runtime's reason in *why) when there are none or no driver.
int device_count(std::string* why);
// "NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB" for device i.
std::string device_name(int i);

}  // namespace strata::cuda
