#include "core/cuda/check.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/error.h"

namespace strata::cuda {
namespace {

[[noreturn]] void fail(const char* what, const char* call, const char* reason, const char* file,
                       int line) {
  int device = -1;
  cudaGetDevice(&device);
  std::ostringstream os;
  os << what << " failed on cuda:" << device << ": " << call << ": " << reason;
  throw Error(os.str(), file, line);
}

}  // namespace

void check_runtime(cudaError_t rc, const char* call, const char* file, int line) {
  if (rc != cudaSuccess) fail("CUDA", call, cudaGetErrorString(rc), file, line);
}

void check_cublas(cublasStatus_t rc, const char* call, const char* file, int line) {
  if (rc != CUBLAS_STATUS_SUCCESS) fail("cuBLAS", call, cublasGetStatusString(rc), file, line);
}

void check_cudnn(cudnnStatus_t rc, const char* call, const char* file, int line) {
  if (rc != CUDNN_STATUS_SUCCESS) fail("cuDNN", call, cudnnGetErrorString(rc), file, line);
}

void check_launch(const char* kernel, const char* file, int line) {
  const cudaError_t rc = cudaGetLastError();
  if (rc != cudaSuccess) fail("kernel launch", kernel, cudaGetErrorString(rc), file, line);
  // STRATA_CUDA_SYNC=1: wait for every kernel, so that a fault is reported at its launch.
  static const bool sync = [] {
    const char* v = std::getenv("STRATA_CUDA_SYNC");
    return v != nullptr && std::string(v) == "1";
  }();
  if (sync) {
    const cudaError_t done = cudaDeviceSynchronize();
    if (done != cudaSuccess) fail("kernel", kernel, cudaGetErrorString(done), file, line);
  }
}

}  // namespace strata::cuda
