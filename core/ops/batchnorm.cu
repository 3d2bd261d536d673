// batchnorm on CUDA: the kernels of core/ops/kernels/batchnorm.h, in the order its *_steps
// functions give, on the backend's stream. Per-channel sums are the deterministic block sum (one
// block per channel, in double), so two runs give the same bits; nothing is allocated.
#include "core/cuda/block_sum.cuh"
#include "core/cuda/launch.cuh"
#include "core/error.h"
#include "core/ops/batchnorm.h"
#include "core/ops/kernels/batchnorm.h"

namespace strata {

namespace {

// The block's deterministic sum, as the per-channel kernels call it.
struct DeviceBlockSum {
  template <class Term>
  __device__ double operator()(int64_t n, const Term& term) const {
    return cuda::block_sum(n, term);
  }
};

// Block c runs kernel k for channel c (kernels/batchnorm.h: reduce on every thread, then finish).
template <class K>
__global__ void __launch_bounds__(kSumThreads) channel_kernel(K k) {
  const int64_t c = blockIdx.x;
  const auto state = k.reduce(c, DeviceBlockSum{});
  k.finish(c, static_cast<int>(threadIdx.x), state);
}

struct CudaExec {
  const CudaBackend& be;

  template <class K>
  void channels(const char* what, int64_t C, const K& k) const {
    STRATA_CHECK(C <= kBnMaxChannels, what << ": " << C << " channels, more than CUDA's "
                                           << kBnMaxChannels << " blocks of a grid");
    const Launch l = bn_channel_launch(C);
    if (l.blocks == 0) return;
    channel_kernel<<<l.blocks, l.threads, 0, cuda::stream_of(be)>>>(k);
    cuda::check_launch(what, __FILE__, __LINE__);
  }

  template <class Body>
  void elements(const char* what, int64_t n, const Body& body) const {
    cuda::launch_grid_stride(__FILE__, __LINE__, what, be, n, body);
  }
};

}  // namespace

void batchnorm_forward(CudaBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                       bool train, const float* x, float* y) {
  CudaExec ex{be};
  bn_forward_steps(ex, a, b, train, x, y);
}

void batchnorm_backward(CudaBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                        bool train, const float* x, const float* dy, float* dgamma, float* dbeta,
                        float* dx) {
  CudaExec ex{be};
  bn_backward_steps(ex, a, b, train, x, dy, dgamma, dbeta, dx);
}

void batchnorm_sync_sums(CudaBackend& be, const BatchNormArgs& a, const float* x, float* sums) {
  CudaExec ex{be};
  bn_sync_sums_steps(ex, a, x, sums);
}

void batchnorm_sync_deviations(CudaBackend& be, const BatchNormArgs& a, int64_t M,
                               const float* sums, const float* x, float* mean, float* sq) {
  CudaExec ex{be};
  bn_sync_deviations_steps(ex, a, M, sums, x, mean, sq);
}

void batchnorm_sync_normalize(CudaBackend& be, const BatchNormArgs& a, int64_t M,
                              const BatchNormBuffers& b, const float* sq, const float* x,
                              float* y) {
  CudaExec ex{be};
  bn_sync_normalize_steps(ex, a, M, b, sq, x, y);
}

void batchnorm_sync_grad_sums(CudaBackend& be, const BatchNormArgs& a, const BatchNormBuffers& b,
                              const float* x, const float* dy, float* dgamma, float* dbeta,
                              float* sums) {
  CudaExec ex{be};
  bn_sync_grad_sums_steps(ex, a, b, x, dy, dgamma, dbeta, sums);
}

void batchnorm_sync_dx(CudaBackend& be, const BatchNormArgs& a, int64_t M,
                       const BatchNormBuffers& b, const float* sums, const float* x,
                       const float* dy, float* dx) {
  CudaExec ex{be};
  bn_sync_dx_steps(ex, a, M, b, sums, x, dy, dx);
}

}  // namespace strata
