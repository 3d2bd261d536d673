// Shared by the host and GPU tests of the step-value ops (core/ops/step_values.h, accuracy.h):
// the reference arithmetic the training loop used when it read every step's values back (kept
// here verbatim as the definition the device path must reproduce bit for bit), and test inputs.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/ops/step_values_layout.h"

namespace strata::test {

// The logged values of one step from its slots, as the phases computed them on the host: one
// float slot converted to double; k slots (a GAN's D steps) added to a double from 0, then / k.
inline std::vector<double> host_step_values(const StepValueLayout& l, const std::vector<float>& s) {
  std::vector<double> out;
  for (int i = 0; i < l.values; ++i) {
    if (l.count[i] == 1) {
      out.push_back(s[static_cast<size_t>(l.first[i])]);
      continue;
    }
    double v = 0;
    for (int j = 0; j < l.count[i]; ++j) v += s[static_cast<size_t>(l.first[i] + j)];
    out.push_back(v / l.count[i]);
  }
  return out;
}

// The loop's window sums: sum += value * n for each step (StepLog's former host code).
inline void host_accumulate(std::vector<double>& sum, const std::vector<double>& m, int64_t n) {
  for (size_t i = 0; i < m.size() && i < sum.size(); ++i) sum[i] += m[i] * n;
}

// The classifier step's former host accuracy: the first maximum of a row wins (compared with >).
inline float host_accuracy(const std::vector<float>& logits, const std::vector<float>& labels,
                           int64_t n, int64_t k) {
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * k;
    int64_t best = 0;
    for (int64_t c = 1; c < k; ++c)
      if (row[c] > row[best]) best = c;
    right += best == static_cast<int64_t>(labels[static_cast<size_t>(i)]) ? 1 : 0;
  }
  return static_cast<float>(right) / static_cast<float>(n);
}

// The GAN's layout with k D steps: d_loss (k slots), g_loss, d_real (k), d_fake (k).
inline StepValueLayout gan_layout(int k) {
  StepValueLayout l;
  l.values = 4;
  l.slots = 3 * k + 1;
  const int first[4] = {0, k, k + 1, 2 * k + 1}, count[4] = {k, 1, k, k};
  for (int i = 0; i < 4; ++i) {
    l.first[i] = first[i];
    l.count[i] = count[i];
  }
  return l;
}

// The autoencoder's layout with a penalty: slots mse, sparsity, loss; values loss, mse, sparsity.
inline StepValueLayout autoencoder_layout() {
  StepValueLayout l;
  l.values = 3;
  l.slots = 3;
  const int first[3] = {2, 0, 1};
  for (int i = 0; i < 3; ++i) {
    l.first[i] = first[i];
    l.count[i] = 1;
  }
  return l;
}

// Slot values of many magnitudes (losses near 1e-3 to 1e2, accuracies, means in (0, 1)), the
// same for the same seed; the products with the weights round in double.
inline std::vector<float> step_slots(int slots, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> mant(0.0f, 1.0f);
  std::uniform_int_distribution<int> exp(-10, 7);
  std::vector<float> s(static_cast<size_t>(slots));
  for (float& v : s) v = std::ldexp(mant(rng) + 0.5f, exp(rng)) * (1.0f + 1.0f / 3.0f);
  return s;
}

inline bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

}  // namespace strata::test
