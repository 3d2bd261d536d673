// Launching a kernel body (core/ops/kernels/launch.h) on a backend's stream, checked where it is
// launched:
//   STRATA_GRID_STRIDE(be, n, SomeBody{...});   // body(i) for every i < n
#pragma once

#include <cstdint>

#include "core/backend.h"
#include "core/cuda/check.h"
#include "core/cuda/handles.h"
#include "core/ops/kernels/launch.h"

namespace strata::cuda {

template <class Body>
__global__ void grid_stride_kernel(int64_t n, Body body) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    body(i);
}

template <class Body>
void launch_grid_stride(const char* file, int line, const char* what, const CudaBackend& be,
                        int64_t n, const Body& body) {
  const Launch l = grid_stride_launch(n);
  if (l.blocks == 0) return;
  grid_stride_kernel<<<l.blocks, l.threads, 0, stream_of(be)>>>(n, body);
  check_launch(what, file, line);
}

}  // namespace strata::cuda

#define STRATA_GRID_STRIDE(be, n, ...) \
  ::strata::cuda::launch_grid_stride(__FILE__, __LINE__, #__VA_ARGS__, be, n, __VA_ARGS__)
