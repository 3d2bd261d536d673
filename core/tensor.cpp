#include "core/tensor.h"

#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace strata {

std::shared_ptr<float[]> allocate_floats(int64_t n) {
  constexpr size_t kAlign = 64;
  size_t bytes = static_cast<size_t>(n > 0 ? n : 1) * sizeof(float);
  bytes = (bytes + kAlign - 1) / kAlign * kAlign;
  auto* p = static_cast<float*>(std::aligned_alloc(kAlign, bytes));
  STRATA_CHECK(p != nullptr, "out of host memory allocating "
                                 << bytes << " bytes; reduce the batch size or the model size");
  std::memset(p, 0, bytes);
  return std::shared_ptr<float[]>(p, [](float* q) { std::free(q); });
}

Tensor::Tensor(const Shape& shape) {
  resize(shape);
}

Tensor Tensor::view(float* data, const Shape& shape) {
  Tensor t;
  t.data_ = data;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  STRATA_CHECK(shape.numel() == numel(), "cannot reshape " << shape_.str() << " (" << numel()
                                                           << " values) to " << shape.str() << " ("
                                                           << shape.numel() << " values)");
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

void Tensor::resize(const Shape& shape) {
  const int64_t n = shape.numel();
  if (storage_ == nullptr && data_ != nullptr) {
    STRATA_CHECK(n <= numel(), "cannot grow a view of " << numel() << " values to " << shape.str());
  } else if (n > capacity_ || storage_ == nullptr) {
    storage_ = allocate_floats(n);
    capacity_ = n;
    data_ = storage_.get();
  }
  shape_ = shape;
}

void Tensor::fill(float value) {
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) data_[i] = value;
}

void Tensor::copy_from(const Tensor& other) {
  STRATA_CHECK(other.numel() == numel(),
               "copy of " << other.shape().str() << " into " << shape_.str() << ": sizes differ");
  if (numel() > 0) std::memcpy(data_, other.data(), sizeof(float) * numel());
}

}  // namespace strata
