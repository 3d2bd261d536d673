// What the BatchNorm tests share (host: tests/core/ops/kernels/batchnorm_test.cpp, the CUDA
// kernels run on the CPU; GPU: tests/core/gpu/batchnorm_gpu_test.cpp, the CUDA ops): the shapes
// of the benchmark models' BatchNorm layers and edge shapes, the inputs and per-channel state, the
// kernels run on the CPU as their launches would run them, and the tolerances against the CPU op.
//
// The tolerances of the values computed from the per-channel sums are set by the CPU's float
// sums of each sample's S values, whose rounding grows about as sqrt(n) * S: the mean, invstd and
// running statistics relative to 1e-5; y and dx (values of size ~1) within 1e-5 + 1e-4 relative;
// sums of m terms of size ~1 (dgamma, dbeta, the synchronised path's sums) within
// 2.5e-7 * sqrt(n) * S + 1e-5 + 1e-4 relative. The kernels' double sums are the more accurate: the
// CPU's float error is most of the difference.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/batchnorm.h"
#include "core/ops/kernels/batchnorm.h"
#include "tests/support/emulate_launch.h"
#include "tests/support/lcg.h"

namespace strata::test {

// [n, C, S]: batch, channels, values per channel of a sample (1 after a Dense, H * W after a
// convolution).
struct Shape3 {
  int64_t n, C, S;
};

inline std::string name(const Shape3& s, bool affine) {
  return "[" + std::to_string(s.n) + ", " + std::to_string(s.C) + ", " + std::to_string(s.S) +
         (affine ? "] affine" : "] no affine");
}

inline std::vector<Shape3> model_shapes() {
  return {
      {256, 6272, 1},   // dcgan28: G's BN after Dense 6272
      {256, 128, 49},   // dcgan28: D's BN on 128x7x7 (and G's reshaped 128x7x7)
      {256, 64, 196},   // dcgan28: G's BN on 64x14x14
      {128, 512, 16},   // dcgan64: 512x4x4
      {128, 256, 64},   // 256x8x8
      {128, 128, 256},  // 128x16x16
      {128, 64, 1024},  // 64x32x32
      {256, 512, 16},   // dcgan64 at batch 256
  };
}

inline std::vector<Shape3> edge_shapes() {
  return {{1, 3, 5}, {3, 7, 1}, {3, 5, 63}, {2, 1, 1}, {5, 100, 1}, {3, 65, 1}, {1, 4, 1000}};
}

// The name of a test instantiated over affine (true) and no affine (false).
inline std::string affine_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Affine" : "NoAffine";
}

inline BatchNormArgs args_of(const Shape3& s) {
  return BatchNormArgs{s.n, s.C, s.S, 0.1f, 1e-5};
}

// n values in [offset - scale, offset + scale], the same for the same seed.
inline std::vector<float> values(int64_t n, float scale, uint32_t seed, float offset = 0.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  Lcg r(seed, 12345u);
  for (auto& x : v) x = offset + scale * (r.unit() * 2.0f - 1.0f);
  return v;
}

// The BatchNormBuffers of a layer's per-channel state (host vectors or device tensors); gamma and
// beta null without affine.
template <class State>
BatchNormBuffers buffers_of(State& s) {
  return {s.affine ? s.gamma.data() : nullptr,
          s.affine ? s.beta.data() : nullptr,
          s.running_mean.data(),
          s.running_var.data(),
          s.mean.data(),
          s.invstd.data()};
}

// One layer's per-channel buffers on the host: the parameters and running statistics from the
// seed, the batch statistics NaN until written.
struct BnState {
  std::vector<float> gamma, beta, running_mean, running_var, mean, invstd;
  bool affine = true;
  BnState(int64_t C, bool affine_, uint32_t seed) : affine(affine_) {
    gamma = values(C, 0.5f, seed, 1.0f);
    beta = values(C, 0.5f, seed + 1);
    running_mean = values(C, 0.3f, seed + 2);
    running_var = values(C, 0.4f, seed + 3, 1.0f);
    mean = std::vector<float>(static_cast<size_t>(C), std::nanf(""));
    invstd = mean;
  }
  BatchNormBuffers buffers() { return buffers_of(*this); }
};

// ---- Running the kernels on the CPU ----

struct HostSum {
  template <class Term>
  double operator()(int64_t n, const Term& term) const {
    return block_sum_on_host(n, term);
  }
};

// Runs each per-channel kernel as its grid would (per channel: reduce, then finish on every
// thread of the block) and each grid-stride body through test::emulate_grid_stride, checking the
// geometry and that every index is visited once; records the launches' names.
struct EmulatedExec {
  std::vector<std::string> launches;

  template <class K>
  void channels(const char* what, int64_t C, const K& k) {
    launches.push_back(what);
    const Launch l = bn_channel_launch(C);
    ASSERT_EQ(l.blocks, static_cast<uint64_t>(C)) << what;
    ASSERT_EQ(l.threads, static_cast<uint32_t>(kSumThreads)) << what;
    for (int64_t c = 0; c < C; ++c) {
      const auto s = k.reduce(c, HostSum{});
      for (int t = 0; t < static_cast<int>(l.threads); ++t) k.finish(c, t, s);
    }
  }

  template <class Body>
  void elements(const char* what, int64_t n, const Body& body) {
    launches.push_back(what);
    ASSERT_TRUE(emulate_each_once(n, body)) << what;
  }
};

// ---- Tolerances against the CPU op (above) ----

constexpr double kStatRtol = 1e-5, kStatAtol = 1e-6;
constexpr double kValueRtol = 1e-4, kValueAtol = 1e-5;
constexpr double kSumRtol = 1e-4;
inline double sum_atol(const Shape3& s) {
  return 2.5e-7 * std::sqrt(static_cast<double>(s.n)) * static_cast<double>(s.S) + 1e-5;
}

// The batch statistics (mean, invstd) and running statistics of `got` against `want`'s within the
// statistics' tolerances, by the test's comparison: within(got, want, rtol, atol, what) gives an
// AssertionResult.
template <class Within>
void expect_statistics_within(const BnState& got, const BnState& want, const std::string& at,
                              const Within& within) {
  EXPECT_TRUE(within(got.mean, want.mean, kStatRtol, kStatAtol, "mean" + at));
  EXPECT_TRUE(within(got.invstd, want.invstd, kStatRtol, kStatAtol, "invstd" + at));
  EXPECT_TRUE(
      within(got.running_mean, want.running_mean, kStatRtol, kStatAtol, "running_mean" + at));
  EXPECT_TRUE(within(got.running_var, want.running_var, kStatRtol, kStatAtol, "running_var" + at));
}

}  // namespace strata::test
