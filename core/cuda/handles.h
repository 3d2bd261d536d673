// The typed handles of a CudaBackend, for the .cu files (which include the CUDA headers).
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "core/backend.h"

namespace strata::cuda {

inline cudaStream_t stream_of(const CudaBackend& be) {
  return static_cast<cudaStream_t>(be.stream());
}
inline cublasHandle_t cublas_of(const CudaBackend& be) {
  return static_cast<cublasHandle_t>(be.cublas());
}
inline cublasLtHandle_t cublaslt_of(const CudaBackend& be) {
  return static_cast<cublasLtHandle_t>(be.cublaslt());
}
inline cudnnHandle_t cudnn_of(const CudaBackend& be) {
  return static_cast<cudnnHandle_t>(be.cudnn());
}

}  // namespace strata::cuda
