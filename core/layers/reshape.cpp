#include "core/layers/reshape.h"

#include <sstream>
#include <string>

#include "core/error.h"

namespace strata {

namespace {

// "[4, -1]": a target as written, before -1 is resolved.
std::string target_str(const std::vector<int64_t>& t) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < t.size(); ++i) os << (i ? ", " : "") << t[i];
  os << "]";
  return os.str();
}

}  // namespace

Reshape::Reshape(std::vector<int64_t> target) : target_(std::move(target)) {
  STRATA_CHECK(
      target_.size() <= 3,
      "reshape: a sample has at most 3 dimensions (C, H, W), got target " << target_str(target_));
  int unknown = 0;
  for (int64_t d : target_) {
    STRATA_CHECK(d > 0 || d == -1,
                 "reshape: target dimensions must be positive or -1, got " << target_str(target_));
    unknown += d == -1;
  }
  STRATA_CHECK(unknown <= 1,
               "reshape: at most one target dimension may be -1, got " << target_str(target_));
}

Shape Reshape::build(const Shape& in) {
  STRATA_CHECK(in.rank() >= 2, kind() << " expects input [N, ...] with at least one dimension "
                                         "after the batch, got "
                                      << in.str());
  const int64_t n = in[0], count = in.sample_numel();
  if (target_.empty()) return Shape{n, count};

  int64_t known = 1;
  int unknown_at = -1;
  for (size_t i = 0; i < target_.size(); ++i) {
    if (target_[i] == -1) {
      unknown_at = static_cast<int>(i);
    } else {
      known *= target_[i];
    }
  }
  std::vector<int64_t> dims = target_;
  if (unknown_at >= 0) {
    STRATA_CHECK(count % known == 0, "reshape: cannot reshape a sample of input "
                                         << in.str() << " (" << count << " values) to "
                                         << target_str(target_) << ": " << count
                                         << " is not a multiple of " << known);
    dims[unknown_at] = count / known;
  } else {
    STRATA_CHECK(known == count, "reshape: cannot reshape a sample of input "
                                     << in.str() << " (" << count << " values) to "
                                     << target_str(target_) << " (" << known << " values)");
  }
  switch (dims.size()) {
    case 1:
      return Shape{n, dims[0]};
    case 2:
      return Shape{n, dims[0], dims[1]};
    default:
      return Shape{n, dims[0], dims[1], dims[2]};
  }
}

void Reshape::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  // Row-major: the values keep their order.
  if (y.data() != x.data()) copy(y, x, ctx.backend->stream(), /*async=*/true);
}

void Reshape::backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx,
                       const StepContext& ctx) {
  if (dx && dx->data() != dy.data()) copy(*dx, dy, ctx.backend->stream(), /*async=*/true);
}

}  // namespace strata
