#include "core/data/device_upload.h"

#include "core/error.h"

namespace strata {

#if STRATA_WITH_CUDA
std::unique_ptr<DeviceUpload> make_cuda_upload(Device device, Stream consumer, int slots);
#endif

namespace {

// The emulated device: host memory on both sides, copied as soon as a slot is filled.
class EmulatedUpload final : public DeviceUpload {
 public:
  Tensor host_buffer(const Shape& shape) override { return Tensor(shape); }
  void before_fill(int) override {}
  void upload(int, const Tensor& host, Tensor& device) override { copy(device, host); }
  void finish_upload(int) override {}
  void acquire(int) override {}
  void release(int) override {}
};

}  // namespace

std::unique_ptr<DeviceUpload> DeviceUpload::make(Device device, Stream consumer, int slots) {
  if (device.is_emulated()) return std::make_unique<EmulatedUpload>();
#if STRATA_WITH_CUDA
  if (device.is_cuda()) return make_cuda_upload(device, consumer, slots);
#endif
  (void)consumer;
  (void)slots;
  STRATA_THROW("the data reader cannot deliver batches to " << device.str() << " in this build");
}

}  // namespace strata
