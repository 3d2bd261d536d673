#include "core/backend.h"

#include <memory>
#include <mutex>
#include <vector>

#include "core/cuda/check.h"
#include "core/cuda/device.h"
#include "core/cuda/handles.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/step_capture.h"

namespace strata {

CudaBackend::CudaBackend(int index) : index_(index) {
  STRATA_CUDA_CHECK(cudaSetDevice(index));
  cudaStream_t s = nullptr;
  STRATA_CUDA_CHECK(cudaStreamCreate(&s));
  stream_ = s;
  cublasHandle_t blas = nullptr;
  STRATA_CUBLAS_CHECK(cublasCreate(&blas));
  cublas_ = blas;
  STRATA_CUBLAS_CHECK(cublasSetStream(blas, s));
  // fp32 means fp32: no TF32 tensor-core math unless a precision setting asks for it.
  STRATA_CUBLAS_CHECK(cublasSetMathMode(blas, CUBLAS_PEDANTIC_MATH));
  // No atomics in cuBLAS's reductions, so that two runs give the same bits.
  STRATA_CUBLAS_CHECK(cublasSetAtomicsMode(blas, CUBLAS_ATOMICS_NOT_ALLOWED));
  // Through the device's allocator, so that memory_stats counts it (core/memory.h). cuBLAS gets
  // the same buffer as its workspace (its calls and cuBLASLt's queue on the one stream, so they
  // never use it at once): it then allocates nothing of its own, also inside a captured step.
  lt_workspace_ = allocator_for(Device::cuda(index)).allocate(lt_workspace_bytes());
  STRATA_CUBLAS_CHECK(cublasSetWorkspace(blas, lt_workspace_, lt_workspace_bytes()));
  cublasLtHandle_t lt = nullptr;
  STRATA_CUBLAS_CHECK(cublasLtCreate(&lt));
  cublaslt_ = lt;
  cudnnHandle_t dnn = nullptr;
  STRATA_CUDNN_CHECK(cudnnCreate(&dnn));
  cudnn_ = dnn;
  STRATA_CUDNN_CHECK(cudnnSetStream(dnn, s));
}

CudaBackend::~CudaBackend() {
  // Called at exit, possibly after the driver has shut down: errors are ignored.
  cudaSetDevice(index_);
  try {  // the runtime may be gone at exit: the memory goes with it
    auto& memory = allocator_for(Device::cuda(index_));
    if (lt_workspace_) memory.deallocate(lt_workspace_, lt_workspace_bytes());
  } catch (const Error&) {
  }
  if (cudnn_) cudnnDestroy(static_cast<cudnnHandle_t>(cudnn_));
  if (cublaslt_) cublasLtDestroy(static_cast<cublasLtHandle_t>(cublaslt_));
  if (cublas_) cublasDestroy(static_cast<cublasHandle_t>(cublas_));
  if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

void CudaBackend::synchronize() const {
  check_not_capturing("waiting for the device");
  STRATA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)));
}

Backend& cuda_backend(int index) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<CudaBackend>> backends;
  std::lock_guard<std::mutex> lock(mu);
  std::string why;
  const int count = cuda::device_count(&why);
  STRATA_CHECK(
      index >= 0 && index < count,
      "cuda:" << index << " was asked for, but "
              << (count == 0 ? "the CUDA runtime finds no GPU (" + why + ")"
                             : "this machine has " + std::to_string(count) + " CUDA device(s)")
              << "; use device: cpu (or auto), or run on a machine with a GPU");
  if (backends.size() < static_cast<size_t>(count)) backends.resize(count);
  if (!backends[index]) backends[index] = std::make_unique<CudaBackend>(index);
  return *backends[index];
}

}  // namespace strata
