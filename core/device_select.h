// Which device a rank trains on: the experiment's `device` key (and `strata bench --device`).
//   auto  the rank's GPU when this build has CUDA and a GPU is visible, else the CPU
//   cpu   the CPU
//   cuda  the rank's GPU; an error, saying which and what to do, in a CPU-only build or on a
//         machine where no GPU is visible
// "The rank's GPU" is GPU local_rank % count: under mpirun or srun each rank of a node takes its
// own GPU (and ranks share them round-robin when there are more ranks than GPUs).
#pragma once

#include <string>

#include "core/device.h"

namespace strata {

enum class DeviceRequest { kAuto, kCpu, kCuda };

// "auto", "cpu", "cuda" (anything else throws, naming the choices).
DeviceRequest parse_device_request(const std::string& name);
const char* device_request_name(DeviceRequest r);

// Whether STRATA_TEST_DEVICE=emulated is set: auto and cuda then select the emulated device
// (core/device.h), so that the test suite runs whole trainings with device memory on machines
// without a GPU.
bool emulating_device();

// The device for a rank with this node-local index. Throws for an impossible cuda request.
Device select_device(DeviceRequest request, int local_rank);

// "cpu", or "cuda:0 (NVIDIA H200, sm_90, ...)".
std::string describe_device(Device device);

// The number of GPUs this process sees (0 in a CPU-only build), and why none when 0.
int visible_gpus(std::string* why);

}  // namespace strata
