// Draws of RandomStream made by a CUDA kernel (rng_draws.cu), for the GPU tests to compare with
// the same streams drawn on the host.
#pragma once

#include <cstdint>
#include <vector>

namespace strata::gpu_test {

struct Draws {
  std::vector<uint32_t> words;  // per stream: kWords next_u32()
  std::vector<float> uniforms;  // then kDraws uniform()
  std::vector<float> normals;   // then kDraws normal()
};
constexpr int kWords = 8, kDraws = 8;

// Streams (seed, kTest, index, step, first_sample + s) for s < streams, drawn on GPU 0.
Draws draw_on_device(uint64_t seed, uint32_t index, uint64_t step, uint64_t first_sample,
                     int streams);

}  // namespace strata::gpu_test
