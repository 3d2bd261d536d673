// Inside a captured step nothing may wait for the device or read its memory on the host
// (core/step_capture.h): on the emulated device, which stands for a GPU in these tests, a copy
// to or from the host and a synchronisation throw while a CaptureScope is open and work again
// after it; copies queued within the device, and the host's own memory, stay allowed.
#include "core/step_capture.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/backend.h"
#include "core/error.h"
#include "core/tensor.h"

namespace strata {
namespace {

std::string thrown_by(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StepCapture, HostWaitsThrowOnlyInsideACapture) {
  Tensor host = Tensor::zeros(Shape{4});
  Tensor dev = host.to(Device::emulated());
  Tensor dev2(Shape{4}, Device::emulated());
  Backend& be = backend_for(Device::emulated());
  EXPECT_FALSE(capturing());
  {
    CaptureScope scope;
    EXPECT_TRUE(capturing());
    const std::string to_host = thrown_by([&] { (void)dev.to(Device::cpu()); });
    EXPECT_NE(to_host.find("a copy from emulated to cpu inside a step captured as a CUDA graph"),
              std::string::npos)
        << to_host;
    EXPECT_NE(thrown_by([&] { (void)host.to(Device::emulated()); }), "");
    EXPECT_NE(thrown_by([&] { be.synchronize(); }).find("waiting for the device"),
              std::string::npos);
    EXPECT_NE(thrown_by([&] { cpu_backend().synchronize(); }), "");
    // Within the device: queued on the stream, allowed; a copy that waits for it is not.
    EXPECT_EQ(thrown_by([&] { copy(dev2, dev, be.stream(), true); }), "");
    EXPECT_NE(thrown_by([&] { copy(dev2, dev); }), "");
    Tensor host2 = Tensor::zeros(Shape{4});
    EXPECT_EQ(thrown_by([&] { copy(host2, host); }), "");  // host to host: allowed
    {
      CaptureScope nested;
      EXPECT_TRUE(capturing());
    }
    EXPECT_TRUE(capturing());
  }
  EXPECT_FALSE(capturing());
  EXPECT_EQ(thrown_by([&] { (void)dev.to(Device::cpu()); }), "");
  EXPECT_EQ(thrown_by([&] { be.synchronize(); }), "");
}

// The CPU and the emulated device record nothing: their steps run as they are called.
TEST(StepCapture, OnlyAGpuBackendRecords) {
  int runs = 0;
  EXPECT_EQ(cpu_backend().capture([&] { ++runs; }), nullptr);
  EXPECT_EQ(backend_for(Device::emulated()).capture([&] { ++runs; }), nullptr);
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace strata
