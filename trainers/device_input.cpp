// Moving values to a network's device or to the host (trainers/device_input.h).
#include "trainers/device_input.h"

namespace strata {

const Tensor& on_device(const Tensor& t, Device device, Tensor& buffer) {
  if (t.empty() || t.device() == device) return t;  // an empty tensor has no values to move
  size_on(buffer, t.shape(), device);
  copy(buffer, t);
  return buffer;
}

void size_on(Tensor& buffer, const Shape& shape, Device device) {
  if (buffer.empty() || !(buffer.device() == device))
    buffer = Tensor(shape, device);
  else
    buffer.resize(shape);
}

}  // namespace strata
