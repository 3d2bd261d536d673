// Moving values between the host and a network's device without allocating per step.
//
// A trainer hands its networks tensors from elsewhere (a batch from the reader, which may come on
// the host or already on the device; test images; labels; latent vectors) and reads results back
// on the host (metrics, pictures, codes). on_device returns the tensor itself when it is already
// where it is wanted, so the CPU path copies nothing, and otherwise copies it into a buffer the
// caller keeps, which is reallocated only when it must grow (or change device): a steady-state
// step allocates nothing.
#pragma once

#include "core/tensor.h"

namespace strata {

// t on `device`: t itself when it is there (or empty), else `buffer` holding a copy of t (same
// shape), valid until buffer is next used. buffer must not share storage with anything else.
const Tensor& on_device(const Tensor& t, Device device, Tensor& buffer);

// t on the host, for reading (on_device(t, Device::cpu(), buffer)).
inline const Tensor& on_host(const Tensor& t, Tensor& buffer) {
  return on_device(t, Device::cpu(), buffer);
}

// Makes `buffer` a tensor of `shape` on `device` (values unspecified), allocating only when it is
// empty, elsewhere, or too small: a trainer's scratch tensors (noisy inputs, label tensors) live
// on its networks' device.
void size_on(Tensor& buffer, const Shape& shape, Device device);

}  // namespace strata
