// Tensor: float32 values on the CPU, up to 4-D, dense and row-major.
//
// Layout: image tensors are NCHW (batch, channels, height, width). Reasons: it is the layout of
// cuDNN's default descriptors and of PyTorch, so the CUDA backend and reference comparisons need
// no transposes and weights can be compared one to one; convolution by im2col + GEMM on NCHW
// turns each image into one plain GEMM (W[Cout, Cin*k*k] x cols[Cin*k*k, H*W]) whose output is
// already NCHW; and BatchNorm2d reduces over contiguous H*W planes.
//
// A Tensor either owns its storage (shared between copies, like a view) or is a view into
// memory owned elsewhere (the model's flat parameter and gradient buffers). Storage is 64-byte
// aligned and zero-initialised. reserve()/reshape() never reallocate when capacity suffices, so
// the training step, which reuses its tensors, allocates nothing once shapes are steady.
#pragma once

#include <cstdint>
#include <memory>

#include "core/shape.h"

namespace strata {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const Shape& shape);  // owning, zero-filled

  // A non-owning view of `data` (which must outlive the view).
  static Tensor view(float* data, const Shape& shape);

  float* data() { return data_; }
  const float* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i]; }
  // 0 for a default-constructed (empty) tensor.
  int64_t numel() const { return data_ ? shape_.numel() : 0; }
  bool empty() const { return data_ == nullptr; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

  // A view of the same values with another shape of the same number of elements.
  Tensor reshaped(const Shape& shape) const;
  // Gives an owning tensor this shape, reallocating only when it needs more room than it has.
  // Values are unspecified after a reallocation-free resize and zero after a reallocation.
  void resize(const Shape& shape);

  void fill(float value);
  void copy_from(const Tensor& other);  // same number of elements

 private:
  float* data_ = nullptr;
  Shape shape_;
  std::shared_ptr<float[]> storage_;
  int64_t capacity_ = 0;
};

// Aligned, zero-filled storage for n floats.
std::shared_ptr<float[]> allocate_floats(int64_t n);

}  // namespace strata
