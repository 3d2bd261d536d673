// The tests' deterministic inputs: a linear congruential stream of 32-bit words, the same for the
// same seed and salt on every machine (each test file keeps its own salt, so its values stay the
// ones it was written with).
#pragma once

#include <cstdint>

namespace strata::test {

class Lcg {
 public:
  Lcg(uint32_t seed, uint32_t salt) : s_(seed * 2654435761u + salt) {}

  uint32_t next() {
    s_ = s_ * 1664525u + 1013904223u;
    return s_;
  }

  // A multiple of 2^-24 in [0, 1): the next word's top 24 bits.
  float unit() { return static_cast<float>(next() >> 8) / static_cast<float>(1u << 24); }

 private:
  uint32_t s_;
};

}  // namespace strata::test
