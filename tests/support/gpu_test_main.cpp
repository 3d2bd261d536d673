// The main of the GPU test programs (label gpu): new host memory NaN-filled as in every test
// program, and, without a CUDA GPU, a clear line and exit code 77, which ctest reports as
// skipped (SKIP_RETURN_CODE) - visibly, never as a pass.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <iostream>

#include "core/memory.h"

int main(int argc, char** argv) {
  strata::set_new_memory_fill(strata::NewMemoryFill::kNaN);
  ::testing::InitGoogleTest(&argc, argv);
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count == 0) {
    std::cerr << argv[0] << ": SKIPPED, needs a CUDA GPU ("
              << (rc == cudaSuccess ? "0 devices" : cudaGetErrorString(rc)) << ")\n";
    return 77;
  }
  return RUN_ALL_TESTS();
}
