// Shape of a tensor of rank 0 to 4. Stored inline (no heap) so that shapes can be built and
// compared inside the training step.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace strata {

class Shape {
 public:
  static constexpr int kMaxRank = 4;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t numel() const;
  // The product of all dimensions but the first (the size of one sample of a batch).
  int64_t sample_numel() const;
  // This shape with the first (batch) dimension replaced.
  Shape with_batch(int64_t n) const;
  std::string str() const;  // "[256, 1, 28, 28]"

  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace strata
