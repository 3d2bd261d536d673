// DeviceScalar: one float on a device for an op to write a value into (a loss, a penalty), then
// read on the host. The loss and penalty ops write their value into device memory, so that a GPU
// op can finish without a copy; the class that called it reads it back when it returns the value.
#pragma once

#include "core/tensor.h"

namespace strata {

class DeviceScalar {
 public:
  // Its memory on `device`, allocated on the first call (and again only when the device changes).
  float* on(Device device) {
    if (t_.empty() || !(t_.device() == device)) t_ = Tensor(Shape{1}, device);
    return t_.data();
  }
  // The value the op wrote, on the host.
  float get() const { return t_.on_cpu() ? t_[0] : t_.to(Device::cpu())[0]; }

 private:
  Tensor t_;
};

}  // namespace strata
