// DeviceUpload on a GPU (core/data/device_upload.h): pinned host buffers, a non-blocking copy
// stream, and two events per slot - `copied` (recorded on the copy stream after the slot's copies)
// and `released` (recorded on the training stream when the slot is given back).
#include <cuda_runtime.h>

#include <vector>

#include "core/cuda/check.h"
#include "core/data/device_upload.h"
#include "core/error.h"

namespace strata {
namespace {

class CudaUpload final : public DeviceUpload {
 public:
  CudaUpload(Device device, Stream consumer, int slots)
      : device_(device), consumer_(static_cast<cudaStream_t>(consumer)) {
    STRATA_CUDA_CHECK(cudaSetDevice(device.index));
    STRATA_CUDA_CHECK(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking));
    copied_.resize(static_cast<size_t>(slots));
    released_.resize(static_cast<size_t>(slots));
    for (int s = 0; s < slots; ++s) {
      STRATA_CUDA_CHECK(cudaEventCreateWithFlags(&copied_[s], cudaEventDisableTiming));
      STRATA_CUDA_CHECK(cudaEventCreateWithFlags(&released_[s], cudaEventDisableTiming));
    }
  }
  ~CudaUpload() override {
    cudaSetDevice(device_.index);
    if (copy_) cudaStreamSynchronize(copy_);
    for (cudaEvent_t e : copied_) cudaEventDestroy(e);
    for (cudaEvent_t e : released_) cudaEventDestroy(e);
    if (copy_) cudaStreamDestroy(copy_);
    for (void* p : pinned_) cudaFreeHost(p);
  }

  Tensor host_buffer(const Shape& shape) override {
    void* p = nullptr;
    STRATA_CUDA_CHECK(cudaHostAlloc(&p, static_cast<size_t>(shape.numel()) * sizeof(float),
                                    cudaHostAllocDefault));
    pinned_.push_back(p);
    return Tensor::view(static_cast<float*>(p), shape, Device::cpu());
  }
  void before_fill(int slot) override {
    // A never-recorded event counts as complete.
    STRATA_CUDA_CHECK(cudaEventSynchronize(copied_[slot]));
  }
  void upload(int slot, const Tensor& host, Tensor& device) override {
    STRATA_CHECK(host.numel() == device.numel() && device.device() == device_,
                 "batch upload: " << host.numel() << " host values for " << device.numel() << " on "
                                  << device.device().str());
    if (!waiting_) {
      STRATA_CUDA_CHECK(cudaSetDevice(device_.index));
      STRATA_CUDA_CHECK(cudaStreamWaitEvent(copy_, released_[slot], 0));
      waiting_ = true;
    }
    STRATA_CUDA_CHECK(cudaMemcpyAsync(device.data(), host.data(),
                                      static_cast<size_t>(host.numel()) * sizeof(float),
                                      cudaMemcpyHostToDevice, copy_));
  }
  void finish_upload(int slot) override {
    STRATA_CUDA_CHECK(cudaEventRecord(copied_[slot], copy_));
    waiting_ = false;
  }
  void acquire(int slot) override {
    STRATA_CUDA_CHECK(cudaStreamWaitEvent(consumer_, copied_[slot], 0));
  }
  void release(int slot) override {
    STRATA_CUDA_CHECK(cudaEventRecord(released_[slot], consumer_));
  }

 private:
  Device device_;
  cudaStream_t consumer_ = nullptr;
  cudaStream_t copy_ = nullptr;
  std::vector<cudaEvent_t> copied_, released_;
  std::vector<void*> pinned_;
  bool waiting_ = false;  // the copy stream waits for the current slot's release
};

}  // namespace

std::unique_ptr<DeviceUpload> make_cuda_upload(Device device, Stream consumer, int slots) {
  return std::make_unique<CudaUpload>(device, consumer, slots);
}

}  // namespace strata
