// Tensor: float32 values on one device (the CPU or a CUDA GPU), up to 4-D, dense and row-major.
//
// Layout: image tensors are NCHW (batch, channels, height, width). Reasons: it is the layout of
// cuDNN's default descriptors and of PyTorch, so the CUDA backend and reference comparisons need
// no transposes and weights can be compared one to one; convolution by im2col + GEMM on NCHW
// turns each image into one plain GEMM (W[Cout, Cin*k*k] x cols[Cin*k*k, H*W]) whose output is
// already NCHW; and BatchNorm2d reduces over contiguous H*W planes.
//
// A Tensor either owns its storage (shared between copies, like a view) or is a view into
// memory owned elsewhere (the model's flat parameter and gradient buffers). Storage comes from
// the device's allocator (core/memory.h), 64-byte aligned; its values are unspecified until
// written (host memory happens to be zero-filled, or NaN-filled in the tests; device memory is
// not filled at all): use zeros() where zeros are meant. reserve()/reshape() never reallocate
// when capacity suffices, so the training step, which reuses its tensors, allocates nothing once
// shapes are steady.
//
// data() is valid on any device (kernels take it). The host accessors - operator[], fill,
// copy_from - need a CPU tensor and say so clearly otherwise; a copy between devices is explicit
// (to(), copy()).
#pragma once

#include <cstdint>
#include <memory>

#include "core/device.h"
#include "core/shape.h"

namespace strata {

class Tensor {
 public:
  Tensor() = default;
  // Owning storage of `shape` on `device`; values unspecified.
  explicit Tensor(const Shape& shape, Device device = Device::cpu());
  // Owning storage of `shape` on the CPU, every value 0.
  static Tensor zeros(const Shape& shape);

  // A non-owning view of `data` on `device` (which must outlive the view).
  static Tensor view(float* data, const Shape& shape, Device device = Device::cpu());

  float* data() { return data_; }
  const float* data() const { return data_; }
  Device device() const { return device_; }
  bool on_cpu() const { return device_.is_cpu(); }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i]; }
  // 0 for a default-constructed (empty) tensor.
  int64_t numel() const { return data_ ? shape_.numel() : 0; }
  bool empty() const { return data_ == nullptr; }
  // The values its own storage has room for (0 for a view or an empty tensor).
  int64_t capacity() const { return storage_ ? capacity_ : 0; }
  float& operator[](int64_t i) {
    if (!device_.is_cpu()) not_on_host("operator[]");
    return data_[i];
  }
  float operator[](int64_t i) const {
    if (!device_.is_cpu()) not_on_host("operator[]");
    return data_[i];
  }

  // A view of the same values with another shape of the same number of elements.
  Tensor reshaped(const Shape& shape) const;
  // Gives an owning tensor this shape (on its device), reallocating only when it needs more room
  // than it has. Values are unspecified afterwards.
  void resize(const Shape& shape);

  // Host only.
  void fill(float value);
  void copy_from(const Tensor& other);  // same number of elements, both on the CPU

  // A copy on `device` (also when already there).
  Tensor to(Device device) const;

 private:
  [[noreturn]] void not_on_host(const char* what) const;

  float* data_ = nullptr;
  Device device_;
  Shape shape_;
  std::shared_ptr<float> storage_;
  int64_t capacity_ = 0;
};

// Copies src's values into dst (same number of elements, any devices), on `stream` where a device
// is involved; waits for the copy unless `async`.
void copy(Tensor& dst, const Tensor& src, Stream stream = nullptr, bool async = false);

}  // namespace strata
