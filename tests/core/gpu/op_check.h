// Helpers of the GPU op tests: the GPU's backend, copies of host vectors to and from device
// memory, deterministic test inputs, and an elementwise comparison with a stated tolerance that
// reports the worst value.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/tensor.h"
#include "tests/support/lcg.h"

namespace strata::gpu_test {

inline CudaBackend& gpu() {
  return static_cast<CudaBackend&>(backend_for(Device::cuda(0)));
}

// A device tensor holding `v`.
inline Tensor upload(const std::vector<float>& v) {
  Tensor host(Shape{static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) host[static_cast<int64_t>(i)] = v[i];
  return host.to(Device::cuda(0));
}

// A device tensor of n values, each NaN until written (so that an op that leaves a value
// unwritten fails the comparison).
inline Tensor device_nan(int64_t n) {
  return upload(std::vector<float>(static_cast<size_t>(n), std::nanf("")));
}

// The n floats at device pointer p (waits for the GPU's work).
inline std::vector<float> download(const float* p, int64_t n) {
  Tensor t = Tensor::view(const_cast<float*>(p), Shape{n}, Device::cuda(0)).to(Device::cpu());
  return std::vector<float>(t.data(), t.data() + n);
}
inline std::vector<float> download(const Tensor& t) {
  return download(t.data(), t.numel());
}

// n values in [-scale, scale], the same for the same seed.
inline std::vector<float> inputs(int64_t n, float scale = 1.0f, uint32_t seed = 1) {
  std::vector<float> v(static_cast<size_t>(n));
  test::Lcg r(seed, 12345u);
  for (auto& x : v) x = scale * (r.unit() * 2.0f - 1.0f);
  return v;
}

// Each got[i] within atol + rtol * |want[i]| of want[i] (NaN never is); on failure names `what`,
// the first bad index and the largest error.
inline ::testing::AssertionResult close(const std::vector<float>& got,
                                        const std::vector<float>& want, float rtol, float atol,
                                        const std::string& what) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure()
           << what << ": " << got.size() << " values, expected " << want.size();
  int64_t bad = -1, worst = 0, count = 0;
  double worst_err = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const bool ok = err <= atol + rtol * std::fabs(want[i]);
    if (!ok || std::isnan(got[i]) != std::isnan(want[i])) {
      if (bad < 0) bad = static_cast<int64_t>(i);
      ++count;
    }
    if (err > worst_err || std::isnan(err)) worst_err = err, worst = static_cast<int64_t>(i);
  }
  if (bad < 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << ": " << count << " of " << got.size() << " values off (rtol " << rtol
         << ", atol " << atol << "); first at " << bad << ": " << got[bad] << " vs " << want[bad]
         << "; worst at " << worst << ": " << got[worst] << " vs " << want[worst];
}

}  // namespace strata::gpu_test
