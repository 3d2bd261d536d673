// One thread per stream draws what RandomStream gives on the host (core/rng.h is STRATA_HD).
#include "tests/core/gpu/rng_draws.h"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "core/rng.h"

namespace strata::gpu_test {

namespace {

__global__ void draw_kernel(uint64_t seed, uint32_t index, uint64_t step, uint64_t first,
                            int streams, uint32_t* words, float* uniforms, float* normals) {
  const int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s >= streams) return;
  RandomStream rng(seed, RngPurpose::kTest, index, step, first + static_cast<uint64_t>(s));
  for (int i = 0; i < kWords; ++i) words[s * kWords + i] = rng.next_u32();
  for (int i = 0; i < kDraws; ++i) uniforms[s * kDraws + i] = rng.uniform();
  for (int i = 0; i < kDraws; ++i) normals[s * kDraws + i] = rng.normal();
}

void check(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(rc));
}

}  // namespace

Draws draw_on_device(uint64_t seed, uint32_t index, uint64_t step, uint64_t first_sample,
                     int streams) {
  Draws d;
  d.words.resize(static_cast<size_t>(streams) * kWords);
  d.uniforms.resize(static_cast<size_t>(streams) * kDraws);
  d.normals.resize(static_cast<size_t>(streams) * kDraws);
  uint32_t* words = nullptr;
  float* uniforms = nullptr;
  float* normals = nullptr;
  check(cudaMalloc(&words, d.words.size() * sizeof(uint32_t)), "cudaMalloc");
  check(cudaMalloc(&uniforms, d.uniforms.size() * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&normals, d.normals.size() * sizeof(float)), "cudaMalloc");
  const int threads = 128, blocks = (streams + threads - 1) / threads;
  draw_kernel<<<blocks, threads>>>(seed, index, step, first_sample, streams, words, uniforms,
                                   normals);
  check(cudaGetLastError(), "draw_kernel launch");
  check(cudaDeviceSynchronize(), "draw_kernel");
  check(
      cudaMemcpy(d.words.data(), words, d.words.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost),
      "cudaMemcpy");
  check(cudaMemcpy(d.uniforms.data(), uniforms, d.uniforms.size() * sizeof(float),
                   cudaMemcpyDeviceToHost),
        "cudaMemcpy");
  check(cudaMemcpy(d.normals.data(), normals, d.normals.size() * sizeof(float),
                   cudaMemcpyDeviceToHost),
        "cudaMemcpy");
  cudaFree(words);
  cudaFree(uniforms);
  cudaFree(normals);
  return d;
}

}  // namespace strata::gpu_test
