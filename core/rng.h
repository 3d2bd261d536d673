// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11).
//
// Every random draw in Strata is a pure function of (seed, purpose, step, global sample index,
// position): nothing depends on the rank or on how a batch is split across ranks, on the thread
// that draws it, or on draws made before. A RandomStream is the sequence of numbers for one such
// (seed, purpose, step, sample) tuple.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace strata {

using Philox4 = std::array<uint32_t, 4>;

// One Philox4x32-10 block: four 32-bit words from a 64-bit key and a 128-bit counter.
inline Philox4 philox4x32(uint64_t key, Philox4 ctr) {
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{0xD2511F53u} * ctr[0];
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * ctr[2];
    ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ k0, static_cast<uint32_t>(p1),
           static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ k1, static_cast<uint32_t>(p0)};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return ctr;
}

// What a draw is for; each purpose (and each layer, via `index`) gets an independent stream.
enum class RngPurpose : uint32_t {
  kInit = 1,        // parameter initialisation; sample = parameter tensor index
  kDropout = 2,     // dropout masks; sample = global sample index
  kCorruption = 3,  // denoising input corruption
  kLatent = 4,      // GAN latent vectors
  kShuffle = 5,     // data order
  kTest = 100,      // tests
};

class RandomStream {
 public:
  // `index` separates streams of the same purpose (the layer index for dropout, say).
  RandomStream(uint64_t seed, RngPurpose purpose, uint32_t index, uint64_t step, uint64_t sample)
      : key_(mix(seed, (uint64_t{static_cast<uint32_t>(purpose)} << 32) | index)),
        ctr_{0, static_cast<uint32_t>(sample), static_cast<uint32_t>(sample >> 32),
             static_cast<uint32_t>(step)},
        step_hi_(static_cast<uint32_t>(step >> 32)) {}

  uint32_t next_u32() {
    if (pos_ == 4) {
      Philox4 c = ctr_;
      c[3] ^= step_hi_ * 0x9E3779B9u;
      block_ = philox4x32(key_, c);
      ++ctr_[0];
      pos_ = 0;
    }
    return block_[pos_++];
  }
  // Uniform in [0, 1), 24 bits.
  float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  // Standard normal (Box-Muller on two uniforms in (0, 1]).
  float normal() {
    const float u1 = (static_cast<float>(next_u32() >> 8) + 1.0f) * (1.0f / 16777216.0f);
    const float u2 = uniform();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647f * u2);
  }

 private:
  static uint64_t mix(uint64_t a, uint64_t b) {  // splitmix64 of both, so nearby seeds differ
    uint64_t z = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t key_;
  Philox4 ctr_;
  uint32_t step_hi_;
  Philox4 block_{};
  int pos_ = 4;
};

}  // namespace strata
