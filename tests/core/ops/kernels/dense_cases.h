// The dense layers the dense tests run (host: tests/core/ops/kernels/dense_test.cpp, the cuBLASLt
// and cublasSgemm plans and the kernel bodies; GPU: tests/core/gpu/dense_gpu_test.cpp, the CUDA
// op), with the names the tests' messages give them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/dense.h"

namespace strata::test {

struct InOut {
  int64_t in, out;
};

// (in, out) of every dense layer of the benchmark models (bench/MODELS.md: sae_finetune,
// sae_layer1, dcgan28's G and D; dcgan64 has none).
inline std::vector<InOut> benchmark_dense_layers() {
  return {{784, 1000}, {1000, 500}, {500, 250},  {250, 30},   {30, 250},
          {250, 500},  {500, 1000}, {1000, 784}, {100, 6272}, {6272, 1}};
}

// Odd layers: a single input or output, odd sizes, one past a multiple of 128.
inline std::vector<InOut> odd_dense_layers() {
  return {{1, 1}, {7, 5}, {1, 9}, {13, 1}, {33, 17}, {129, 3}};
}

inline std::string name(const DenseDims& d, bool bias = false, bool relu = false) {
  return "batch " + std::to_string(d.batch) + ", in " + std::to_string(d.in) + ", out " +
         std::to_string(d.out) + (bias ? ", bias" : "") + (relu ? ", relu" : "");
}

}  // namespace strata::test
