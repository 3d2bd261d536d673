#include "core/shape.h"

#include <sstream>

#include "core/error.h"

namespace strata {

Shape::Shape(std::initializer_list<int64_t> dims) {
  STRATA_CHECK(dims.size() <= kMaxRank,
               "a tensor has at most " << kMaxRank << " dimensions, got " << dims.size());
  for (int64_t d : dims) {
    STRATA_CHECK(d >= 0, "a dimension cannot be negative (got " << d << ")");
    dims_[rank_++] = d;
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

int64_t Shape::sample_numel() const {
  int64_t n = 1;
  for (int i = 1; i < rank_; ++i) n *= dims_[i];
  return n;
}

Shape Shape::with_batch(int64_t n) const {
  Shape s = *this;
  if (s.rank_ > 0) s.dims_[0] = n;
  return s;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << "[";
  for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << dims_[i];
  os << "]";
  return os.str();
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

}  // namespace strata
