// Error checks of CUDA code, each naming the call, the source file and line, and the device's
// error: every runtime, cuBLAS, cuBLASLt and cuDNN call goes through one, and every kernel launch
// is followed by STRATA_LAUNCH_CHECK() (a bad launch configuration is reported where it was made,
// not at the next synchronisation). All throw strata::Error, the one error path. With
// STRATA_CUDA_SYNC=1 in the environment every launch is also waited for, so that a kernel's fault
// is reported with the file and line of its launch (a debugging mode; slow).
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace strata::cuda {

void check_runtime(cudaError_t rc, const char* call, const char* file, int line);
void check_cublas(cublasStatus_t rc, const char* call, const char* file, int line);
void check_cudnn(cudnnStatus_t rc, const char* call, const char* file, int line);
// cudaGetLastError after a launch.
void check_launch(const char* kernel, const char* file, int line);

}  // namespace strata::cuda

#define STRATA_CUDA_CHECK(call) ::strata::cuda::check_runtime((call), #call, __FILE__, __LINE__)
#define STRATA_CUBLAS_CHECK(call) ::strata::cuda::check_cublas((call), #call, __FILE__, __LINE__)
#define STRATA_CUDNN_CHECK(call) ::strata::cuda::check_cudnn((call), #call, __FILE__, __LINE__)
#define STRATA_LAUNCH_CHECK(kernel) ::strata::cuda::check_launch(kernel, __FILE__, __LINE__)
