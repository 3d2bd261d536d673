// What the loss and penalty tests share (host: tests/core/ops/kernels/losses_test.cpp, the CUDA
// kernel bodies; GPU: tests/core/gpu/losses_gpu_test.cpp, the CUDA ops): the sizes and shapes
// they run (the benchmark models' batches and edge sizes) and their inputs.
#pragma once

#include <cstdint>
#include <vector>

#include "core/backend.h"
#include "core/ops/sparsity.h"
#include "tests/support/lcg.h"

namespace strata::test {

// n values in [lo, hi), the same for the same seed.
inline std::vector<float> values(int64_t n, float lo, float hi, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  Lcg r(seed, 12345u);
  for (auto& x : v) x = lo + (hi - lo) * r.unit();
  return v;
}

// The lengths of mse's (and of the value sums') tests: 1, 3, an odd length, and an autoencoder's
// batch (256 x 784).
inline std::vector<int64_t> mse_sizes() {
  return {1, 3, 257, 256 * 784};
}

// The batches of bce_logits' and sigmoid_mean's tests: 1, 3, the GANs' 128 and 256, and a long
// odd one.
inline std::vector<int64_t> bce_sizes() {
  return {1, 3, 128, 256, 20001};
}

// Logits of a GAN's discriminator (scale 8), with zeros and +-1e4 mixed in.
inline std::vector<float> gan_logits(int64_t n, uint32_t seed) {
  std::vector<float> z = values(n, -8.0f, 8.0f, seed);
  for (int64_t i = 0; i < n; i += 7)
    z[i] = (i / 7) % 4 == 0 ? 1e4f : ((i / 7) % 4 == 1 ? -1e4f : 0.0f);
  return z;
}

// Targets 0, 1 and smoothed labels (0.9).
inline std::vector<float> bce_targets(int64_t n) {
  std::vector<float> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[i] = i % 3 == 0 ? 1.0f : (i % 3 == 1 ? 0.0f : 0.9f);
  return t;
}

// n rows of k values.
struct Rows {
  int64_t n, k;
};

// Softmax cross-entropy's logits: a classifier's batch of 256 over 10 classes, edge shapes, and
// `many` rows of 10 (the GPU test runs 10000, the host's emulation 2000).
inline std::vector<Rows> softmax_rows(int64_t many) {
  return {{256, 10}, {1, 10}, {3, 7}, {257, 10}, {5, 1}, {many, 10}};
}

// Class indices as floats, every class used.
inline std::vector<float> labels(int64_t n, int64_t k) {
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) y[r] = static_cast<float>((r * 7 + 3) % k);
  return y;
}

// Activations of a sparse autoencoder's code: its layers (256 x 1000, 256 x 30) and edge shapes.
inline std::vector<Rows> sparsity_shapes() {
  return {{256, 1000}, {256, 30}, {1, 1}, {1, 7}, {3, 5}, {3, 1}, {257, 301}};
}

// Activations after a sigmoid, in [0, 1), with a column of zeros and one of ones (the clamps).
inline std::vector<float> activations(const Rows& s, uint32_t seed) {
  std::vector<float> a = values(s.n * s.k, 0.0f, 1.0f, seed);
  for (int64_t r = 0; r < s.n; ++r) {
    a[r * s.k] = 0.0f;
    if (s.k > 1) a[r * s.k + s.k - 1] = 1.0f;
  }
  return a;
}

// The penalty's arguments for activations of shape s: target rate 0.05, weight 3e-3.
inline SparsityArgs sparsity_args(const Rows& s) {
  return {s.n, s.k, 0.05f, 3e-3f};
}

// The KL penalty's input: the CPU op's column means (rho hat) of activations(s, seed).
inline std::vector<float> rho_hat(const Rows& s, uint32_t seed) {
  const std::vector<float> a = activations(s, seed);
  std::vector<float> means(static_cast<size_t>(s.k));
  sparsity_column_means(cpu_backend(), s.n, s.k, a.data(), means.data());
  return means;
}

// The decayed weights of sae_finetune (784-1000-500-250-30-250-500-1000-784).
inline std::vector<int64_t> sae_weight_sizes() {
  const int64_t units[] = {784, 1000, 500, 250, 30, 250, 500, 1000, 784};
  std::vector<int64_t> sizes;
  for (int i = 0; i + 1 < 9; ++i) sizes.push_back(units[i] * units[i + 1]);
  return sizes;
}

// `count` parameters of sizes 50, 63, 76, ... (more than one launch takes, for count above the
// batch of a weight-decay launch).
inline std::vector<int64_t> decay_sizes(int count) {
  std::vector<int64_t> sizes;
  for (int k = 0; k < count; ++k) sizes.push_back(50 + 13 * k);
  return sizes;
}

}  // namespace strata::test
