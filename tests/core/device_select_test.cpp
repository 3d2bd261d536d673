// The device a rank trains on: cpu always works; auto falls back to the CPU where no GPU is
// visible; cuda there is an error that says which case it is and what to do.
#include "core/device_select.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace strata {
namespace {

TEST(DeviceSelect, ParsesTheThreeChoices) {
  EXPECT_EQ(parse_device_request("auto"), DeviceRequest::kAuto);
  EXPECT_EQ(parse_device_request("cpu"), DeviceRequest::kCpu);
  EXPECT_EQ(parse_device_request("cuda"), DeviceRequest::kCuda);
  try {
    parse_device_request("gpu");
    FAIL() << "gpu accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("auto, cpu, cuda"), std::string::npos) << e.message();
  }
}

TEST(DeviceSelect, CpuIsTheCpu) {
  EXPECT_EQ(select_device(DeviceRequest::kCpu, 0), Device::cpu());
  EXPECT_EQ(select_device(DeviceRequest::kCpu, 5), Device::cpu());
}

TEST(DeviceSelect, AutoAndCudaFollowTheVisibleGpus) {
  std::string why;
  const int gpus = visible_gpus(&why);
  if (gpus == 0) {
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(select_device(DeviceRequest::kAuto, 3), Device::cpu());
    try {
      select_device(DeviceRequest::kCuda, 0);
      FAIL() << "cuda accepted without a GPU";
    } catch (const Error& e) {
      const std::string m = e.message();
#if STRATA_WITH_CUDA
      EXPECT_NE(m.find("no GPU is visible"), std::string::npos) << m;
#else
      EXPECT_NE(m.find("built without CUDA"), std::string::npos) << m;
#endif
      EXPECT_NE(m.find("device: cpu"), std::string::npos) << m;
    }
  } else {
    // Each rank of a node takes GPU local_rank % count.
    for (int local = 0; local < 2 * gpus + 1; ++local) {
      EXPECT_EQ(select_device(DeviceRequest::kAuto, local), Device::cuda(local % gpus));
      EXPECT_EQ(select_device(DeviceRequest::kCuda, local), Device::cuda(local % gpus));
    }
  }
}

}  // namespace
}  // namespace strata
