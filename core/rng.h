// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11).
//
// Every random draw in Strata is a pure function of (seed, purpose, step, global sample index,
// position): nothing depends on the rank or on how a batch is split across ranks, on the thread
// that draws it, or on draws made before. A RandomStream is the sequence of numbers for one such
// (seed, purpose, step, sample) tuple.
//
// The generator is compiled for the host and for CUDA devices (STRATA_HD): a GPU kernel draws the
// same 32-bit words, so the same uniforms and masks, as the CPU. normal() goes through sqrt, log
// and cos, whose last bits may differ between the host's libm and the device's.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace strata {

// Four 32-bit words: a Philox counter or output block.
struct Philox4 {
  uint32_t v[4];

  STRATA_HD uint32_t& operator[](int i) { return v[i]; }
  STRATA_HD uint32_t operator[](int i) const { return v[i]; }
  friend STRATA_HD bool operator==(const Philox4& a, const Philox4& b) {
    return a.v[0] == b.v[0] && a.v[1] == b.v[1] && a.v[2] == b.v[2] && a.v[3] == b.v[3];
  }
};

// One Philox4x32-10 block: four 32-bit words from a 64-bit key and a 128-bit counter.
STRATA_HD inline Philox4 philox4x32(uint64_t key, Philox4 ctr) {
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{0xD2511F53u} * ctr[0];
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * ctr[2];
    ctr = Philox4{{static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ k0, static_cast<uint32_t>(p1),
                   static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ k1, static_cast<uint32_t>(p0)}};
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
  STRATA_HD RandomStream(uint64_t seed, RngPurpose purpose, uint32_t index, uint64_t step,
                         uint64_t sample)
      : key_(mix(seed, (uint64_t{static_cast<uint32_t>(purpose)} << 32) | index)),
        ctr_{{0, static_cast<uint32_t>(sample), static_cast<uint32_t>(sample >> 32),
              static_cast<uint32_t>(step)}},
        step_hi_(static_cast<uint32_t>(step >> 32)) {}

  STRATA_HD uint32_t next_u32() {
    if (pos_ == 4) {
      Philox4 c = ctr_;
      c[3] ^= step_hi_ * 0x9E3779B9u;
      block_ = philox4x32(key_, c);
      ++ctr_[0];
      pos_ = 0;
    }
    // A select instead of block_[pos_]: indexing by a run-time value would put the block in a
    // GPU kernel's local memory (a stack frame) instead of registers.
    const int p = pos_++;
    return p == 0 ? block_[0] : p == 1 ? block_[1] : p == 2 ? block_[2] : block_[3];
  }
  // Uniform in [0, 1), 24 bits.
  STRATA_HD float uniform() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }
  // Standard normal (Box-Muller on two uniforms in (0, 1]).
  STRATA_HD float normal() {
    const float u1 = (static_cast<float>(next_u32() >> 8) + 1.0f) * (1.0f / 16777216.0f);
    const float u2 = uniform();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647f * u2);
  }

 private:
  // splitmix64 of both, so nearby seeds differ.
  STRATA_HD static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t z = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t key_;
  Philox4 ctr_;
  uint32_t step_hi_;
  Philox4 block_{{0, 0, 0, 0}};
  int pos_ = 4;
};

}  // namespace strata
