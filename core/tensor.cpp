#include "core/tensor.h"

#include <cstring>

#include "core/error.h"
#include "core/memory.h"

namespace strata {

namespace {

std::shared_ptr<float> allocate(int64_t n, Device device) {
  Allocator& a = allocator_for(device);
  const size_t bytes = static_cast<size_t>(n > 0 ? n : 1) * sizeof(float);
  auto* p = static_cast<float*>(a.allocate(bytes));
  return std::shared_ptr<float>(p, [&a, bytes](float* q) { a.deallocate(q, bytes); });
}

}  // namespace

Tensor::Tensor(const Shape& shape, Device device) : device_(device) {
  resize(shape);
}

Tensor Tensor::zeros(const Shape& shape) {
  Tensor t(shape);
  t.fill(0.0f);
  return t;
}

Tensor Tensor::view(float* data, const Shape& shape, Device device) {
  Tensor t;
  t.data_ = data;
  t.device_ = device;
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
    storage_ = allocate(n, device_);
    capacity_ = n;
    data_ = storage_.get();
  }
  shape_ = shape;
}

void Tensor::fill(float value) {
  if (!device_.is_cpu()) not_on_host("fill");
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) data_[i] = value;
}

void Tensor::copy_from(const Tensor& other) {
  if (!device_.is_cpu() || !other.device_.is_cpu()) not_on_host("copy_from");
  STRATA_CHECK(other.numel() == numel(),
               "copy of " << other.shape().str() << " into " << shape_.str() << ": sizes differ");
  if (numel() > 0) std::memcpy(data_, other.data(), sizeof(float) * numel());
}

Tensor Tensor::to(Device device) const {
  Tensor t(shape_, device);
  copy(t, *this);
  return t;
}

void Tensor::not_on_host(const char* what) const {
  STRATA_THROW("Tensor::" << what << " on a tensor of " << shape_.str() << " that lives on "
                          << device_.str()
                          << "; host code can read only CPU tensors: copy it first with "
                             "to(Device::cpu()) (or copy())");
}

void copy(Tensor& dst, const Tensor& src, Stream stream, bool async) {
  STRATA_CHECK(src.numel() == dst.numel(), "copy of " << src.shape().str() << " into "
                                                      << dst.shape().str() << ": sizes differ");
  copy_bytes(dst.data(), dst.device(), src.data(), src.device(),
             static_cast<size_t>(src.numel()) * sizeof(float), stream, async);
}

}  // namespace strata
