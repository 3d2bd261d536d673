// DeviceUpload: how the data reader (core/data/reader.h) moves each batch to the model's device
// while the current step runs. The reader's thread fills a slot's host buffers, then queues their
// copy into the slot's device buffers; the training thread's next() makes its stream wait for
// that copy, and when it gives the slot back, records where its stream got to, so that the next
// copy into those device buffers waits for the step that used them. Nobody blocks on the host
// except the reader thread, which waits before refilling host memory that a copy may still read.
//
// On a GPU (core/cuda/device_upload.cpp) the host buffers are pinned, so the copies run on a copy
// stream of their own and overlap the step's kernels. On the emulated device (core/device.h) the
// copy is a plain memcpy.
#pragma once

#include <memory>

#include "core/device.h"
#include "core/tensor.h"

namespace strata {

class DeviceUpload {
 public:
  // For batches used on `consumer` of `device` (not the CPU), with `slots` ring slots.
  static std::unique_ptr<DeviceUpload> make(Device device, Stream consumer, int slots);
  virtual ~DeviceUpload() = default;

  // Host memory for a slot's buffers (pinned on a GPU), alive as long as this object.
  virtual Tensor host_buffer(const Shape& shape) = 0;
  // Reader thread, before it writes slot `slot`'s host buffers: waits until the slot's last copy
  // has read them.
  virtual void before_fill(int slot) = 0;
  // Reader thread, after: queues host -> device for each pair (device buffers of the same size;
  // the copy waits for the consumer to have released the slot).
  virtual void upload(int slot, const Tensor& host, Tensor& device) = 0;
  virtual void finish_upload(int slot) = 0;  // after the slot's upload() calls
  // Training thread: its stream waits for the slot's copies (next()).
  virtual void acquire(int slot) = 0;
  // Training thread: the work queued on its stream so far is the last to use the slot's device
  // buffers (the next() after).
  virtual void release(int slot) = 0;
};

}  // namespace strata
