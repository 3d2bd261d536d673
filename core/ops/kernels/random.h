// Bodies of the random ops' kernels (core/ops/dropout.cu, corruption.cu, normal_draw.cu),
// compiled for the host and the GPU. A call draws one sample: sample s reads its own
// RandomStream(seed, purpose, index, step, first + s) in element order, exactly as the CPU ops
// (dropout.cpp, corruption.cpp, normal_draw.cpp) do, so masks are the CPU's bit for bit and on the
// host the normals are too (tests/core/ops/kernels/random_test.cpp); on a GPU the normals go
// through CUDA's sqrt, log and cos (within a few float roundings).
//
// Shaped for registers: a stream hands out the four words of one Philox block in turn, and a loop
// whose draws do not line up with the blocks leaves the position in the block unknown to the
// compiler, which then keeps the block in local memory. So the uniform loops draw four values per
// pass (the last pass draws up to three past the end, which nothing reads), and the normal bodies,
// two words per value, come in two kinds launched one after the other: the even values (words 0
// and 1 of each block, the other two skipped) and the odd values (words 2 and 3), each kind with
// one cos in its kernel (CUDA keeps a second cos's argument reduction in local memory).
#pragma once

#include <cstdint>

#include "core/host_device.h"
#include "core/ops/corruption.h"
#include "core/ops/dropout.h"
#include "core/ops/normal_draw.h"
#include "core/rng.h"

namespace strata {

// Values drawn per pass of the uniform loops: one Philox block.
inline constexpr int kUniformsPerPass = 4;

// Sample s of the dropout: mask 0 or keep (= 1 / (1 - rate)), y = x * mask.
struct DropoutForwardBody {
  DropoutArgs a;
  float keep;
  const float* x;
  float* y;
  float* mask;
  STRATA_HD void operator()(int64_t s) const {
    RandomStream rng(a.seed, RngPurpose::kDropout, a.layer, counter_step(a.counter, a.step),
                     static_cast<uint64_t>(counter_first_sample(a.counter, a.first_sample) + s));
    const int64_t per = a.per_sample, base = s * per;
    for (int64_t i = 0; i < per; i += kUniformsPerPass)
      for (int k = 0; k < kUniformsPerPass; ++k) {
        const float u = rng.uniform();
        if (i + k < per) {
          const float m = u >= a.rate ? keep : 0.0f;  // kept with probability 1 - rate
          mask[base + i + k] = m;
          y[base + i + k] = x[base + i + k] * m;
        }
      }
  }
};

// The body of dropout_forward(a, x, y, mask), with the CPU op's scale.
inline DropoutForwardBody dropout_forward_body(const DropoutArgs& a, const float* x, float* y,
                                               float* mask) {
  return DropoutForwardBody{a, 1.0f / (1.0f - a.rate), x, y, mask};
}

// dx = dy * mask, one value per call.
struct DropoutBackwardBody {
  const float* dy;
  const float* mask;
  float* dx;
  STRATA_HD void operator()(int64_t i) const { dx[i] = dy[i] * mask[i]; }
};

// The stream of sample s of a corruption: kind 0 masking, 1 Gaussian noise.
STRATA_HD inline RandomStream corruption_stream(const CorruptionArgs& a, uint32_t kind, int64_t s) {
  return RandomStream(a.seed, RngPurpose::kCorruption, kind, counter_step(a.counter, a.step),
                      static_cast<uint64_t>(counter_first_sample(a.counter, a.first_sample) + s));
}

// Sample s of corrupt_mask: y = 0 where a uniform draw is below p, else x.
struct CorruptMaskBody {
  CorruptionArgs a;
  float p;
  const float* x;
  float* y;
  STRATA_HD void operator()(int64_t s) const {
    RandomStream rng = corruption_stream(a, 0u, s);
    const int64_t per = a.per_sample, base = s * per;
    for (int64_t j = 0; j < per; j += kUniformsPerPass)
      for (int k = 0; k < kUniformsPerPass; ++k) {
        const float u = rng.uniform();
        if (j + k < per) y[base + j + k] = u < p ? 0.0f : x[base + j + k];
      }
  }
};

// Which values of a sample a normal body draws: value j uses words 2j and 2j + 1 of the stream,
// so the even values take the first half of each Philox block and the odd values the second.
enum class NormalHalf { kEven = 0, kOdd = 1 };

// Calls put(j, rng.normal()) for the values j of one half of a sample of per values, each drawn
// from the words it is drawn from in element order.
template <NormalHalf kHalf, class Put>
STRATA_HD void draw_normal_half(RandomStream& rng, int64_t per, const Put& put) {
  if constexpr (kHalf == NormalHalf::kOdd) {  // skip to the second half of the first block
    rng.next_u32();
    rng.next_u32();
  }
  for (int64_t j = static_cast<int64_t>(kHalf); j < per; j += 2) {
    put(j, rng.normal());
    rng.next_u32();  // the two words of the other half
    rng.next_u32();
  }
}

// Sample s of corrupt_gaussian, one half of its values: y = x + stddev * normal.
template <NormalHalf kHalf>
struct CorruptGaussianBody {
  CorruptionArgs a;
  float stddev;
  const float* x;
  float* y;
  STRATA_HD void operator()(int64_t s) const {
    RandomStream rng = corruption_stream(a, 1u, s);
    const int64_t base = s * a.per_sample;
    draw_normal_half<kHalf>(rng, a.per_sample,
                            [&](int64_t j, float z) { y[base + j] = x[base + j] + stddev * z; });
  }
};

// Sample s of normal_draw, one half of its values.
template <NormalHalf kHalf>
struct NormalDrawBody {
  NormalDrawArgs a;
  float* out;
  STRATA_HD void operator()(int64_t s) const {
    RandomStream rng(a.seed, a.purpose, a.index, counter_step(a.counter, a.step),
                     static_cast<uint64_t>(counter_first_sample(a.counter, a.first_sample) + s));
    const int64_t base = s * a.per_sample;
    draw_normal_half<kHalf>(rng, a.per_sample, [&](int64_t j, float z) { out[base + j] = z; });
  }
};

}  // namespace strata
