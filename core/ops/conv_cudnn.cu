#include "core/ops/conv_cudnn.cuh"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/cuda/block_sum.cuh"
#include "core/cuda/check.h"
#include "core/cuda/handles.h"
#include "core/cuda/launch.cuh"
#include "core/error.h"
#include "core/ops/kernels/conv.h"
#include "core/ops/kernels/precision.h"

namespace strata::cuda {

namespace {

// Deterministic algorithms in order of preference (cudnn_ops.h marks BWD_DATA_ALGO_0 and
// BWD_FILTER_ALGO_0 / ALGO_3 non-deterministic: they sum with atomics; every forward algorithm
// is deterministic). The GEMM-based ones come first, the FFT ones (less accurate in fp32) last.
constexpr std::array kForwardAlgos = {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                      CUDNN_CONVOLUTION_FWD_ALGO_GEMM};
constexpr std::array kBackwardDataAlgos = {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING,
                                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT};
constexpr std::array kBackwardFilterAlgos = {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                                             CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING,
                                             CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT};

const char* status_name(cudnnStatus_t s) {
  return cudnnGetErrorString(s);
}

// "batch 256, 128x7x7 images, 64 channels, kernel 4x4, stride 2x2, pad 1x1, output 14x14".
std::string describe(const CudnnConvPlan& p) {
  return "batch " + std::to_string(p.n) + ", " + std::to_string(p.c) + "x" + std::to_string(p.h) +
         "x" + std::to_string(p.w) + " images, " + std::to_string(p.k) + " channels, kernel " +
         std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + ", stride " +
         std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + ", pad " +
         std::to_string(p.pad_h) + "x" + std::to_string(p.pad_w) + ", output " +
         std::to_string(p.out_h) + "x" + std::to_string(p.out_w);
}

// The first algorithm of `algos` whose workspace query succeeds; `query(algo, &bytes)` returns
// cuDNN's status. Any status but success or "not supported" is an error.
template <class Algo, size_t N, class Query>
void choose(const std::array<Algo, N>& algos, const Query& query, const char* direction,
            const CudnnConvPlan& p, Algo& algo, size_t& bytes) {
  cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
  for (const Algo a : algos) {
    size_t b = 0;
    last = query(a, &b);
    if (last == CUDNN_STATUS_SUCCESS) {
      algo = a;
      bytes = b;
      return;
    }
    STRATA_CHECK(last == CUDNN_STATUS_NOT_SUPPORTED,
                 "conv (cuDNN): the " << direction << " workspace query failed ("
                                      << status_name(last) << ") for " << describe(p));
  }
  STRATA_THROW("conv (cuDNN): no deterministic " << direction << " algorithm supports "
                                                 << describe(p) << " (last: " << status_name(last)
                                                 << ")");
}

std::unique_ptr<CudnnConv> make_conv(cudnnHandle_t h, const ConvArgs& a, bool transposed) {
  auto cv = std::make_unique<CudnnConv>();
  const CudnnConvPlan& p = cv->plan = plan_conv(a, transposed);
  STRATA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&cv->image));
  STRATA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&cv->columns));
  STRATA_CUDNN_CHECK(cudnnCreateFilterDescriptor(&cv->filter));
  STRATA_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&cv->conv));
  STRATA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(cv->image, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, p.n,
                                                p.c, p.h, p.w));
  STRATA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(cv->columns, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                p.n, p.k, p.out_h, p.out_w));
  STRATA_CUDNN_CHECK(cudnnSetFilter4dDescriptor(cv->filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                p.k, p.c, p.kernel_h, p.kernel_w));
  STRATA_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(cv->conv, p.pad_h, p.pad_w, p.stride_h,
                                                     p.stride_w, 1, 1, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT));
  // fp32: FMA only, no TF32 tensor-core math; tf32 and bf16: TF32 permitted (conv_plan.h).
  STRATA_CUDNN_CHECK(cudnnSetConvolutionMathType(
      cv->conv, p.math == CudnnMath::kFma ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
  // cuDNN's own output size must be the plan's (conv_plan.h sizes the image so that it is).
  int on = 0, ok = 0, oh = 0, ow = 0;
  STRATA_CUDNN_CHECK(
      cudnnGetConvolution2dForwardOutputDim(cv->conv, cv->image, cv->filter, &on, &ok, &oh, &ow));
  STRATA_CHECK(on == p.n && ok == p.k && oh == p.out_h && ow == p.out_w,
               "conv (cuDNN): cuDNN sizes the output " << on << "x" << ok << "x" << oh << "x" << ow
                                                       << ", the plan " << describe(p));
  choose(
      kForwardAlgos,
      [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, cv->image, cv->filter, cv->conv,
                                                       cv->columns, algo, bytes);
      },
      "forward", p, cv->fwd, cv->fwd_bytes);
  choose(
      kBackwardDataAlgos,
      [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(h, cv->filter, cv->columns, cv->conv,
                                                            cv->image, algo, bytes);
      },
      "backward-data", p, cv->bwd_data, cv->bwd_data_bytes);
  choose(
      kBackwardFilterAlgos,
      [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, cv->image, cv->columns, cv->conv,
                                                              cv->filter, algo, bytes);
      },
      "backward-filter", p, cv->bwd_filter, cv->bwd_filter_bytes);
  return cv;
}

// Block c: db[c] += the sum of channel c of dy [batch, channels, plane].
__global__ void channel_sums_kernel(const float* dy, int64_t batch, int64_t channels, int64_t plane,
                                    float* db) {
  const int64_t c = blockIdx.x;
  const double s = block_sum(batch * plane, ChannelSumTerm{dy, channels, plane, c});
  if (threadIdx.x == 0) db[c] += static_cast<float>(s);
}

constexpr float kOne = 1.0f, kZero = 0.0f;

}  // namespace

CudnnConv::~CudnnConv() {
  // Descriptors are host objects; errors at exit are ignored.
  if (conv) cudnnDestroyConvolutionDescriptor(conv);
  if (filter) cudnnDestroyFilterDescriptor(filter);
  if (columns) cudnnDestroyTensorDescriptor(columns);
  if (image) cudnnDestroyTensorDescriptor(image);
}

size_t CudnnConv::cudnn_bytes() const {
  return std::max({fwd_bytes, bwd_data_bytes, bwd_filter_bytes});
}

int64_t CudnnConv::workspace_floats() const {
  return conv_workspace_floats(plan, cudnn_bytes());
}

const CudnnConv& cudnn_conv(const CudaBackend& be, const ConvArgs& a, bool transposed) {
  using Key = std::array<int64_t, 16>;
  static std::mutex mu;
  static std::map<Key, std::unique_ptr<CudnnConv>> cache;
  const ConvGeometry& g = a.geom;
  const Key key{static_cast<int64_t>(reinterpret_cast<uintptr_t>(be.cudnn())),
                a.batch,
                a.channels,
                g.channels,
                g.height,
                g.width,
                g.kernel_h,
                g.kernel_w,
                g.stride_h,
                g.stride_w,
                g.pad_top,
                g.pad_left,
                g.out_h,
                g.out_w,
                transposed ? 1 : 0,
                static_cast<int64_t>(a.precision)};
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<CudnnConv>& slot = cache[key];
  if (!slot) slot = make_conv(cudnn_of(be), a, transposed);
  return *slot;
}

namespace {

// v's `count` values rounded to the plan's precision at `offset` floats into the workspace.
const float* rounded(const CudaBackend& be, const CudnnConv& cv, const float* v, int64_t count,
                     float* workspace, int64_t offset) {
  if (!cv.plan.round_operands) return v;
  float* copy = workspace + offset;
  STRATA_GRID_STRIDE(be, count, RoundOperandBody{v, copy, Precision::kBf16});
  return copy;
}

}  // namespace

const float* image_operand(const CudaBackend& be, const CudnnConv& cv, const float* image,
                           float* workspace) {
  const CudnnConvPlan& p = cv.plan;
  return rounded(be, cv, image, int64_t{p.n} * p.c * p.h * p.w, workspace, p.image_copy);
}

const float* columns_operand(const CudaBackend& be, const CudnnConv& cv, const float* columns,
                             float* workspace) {
  const CudnnConvPlan& p = cv.plan;
  return rounded(be, cv, columns, int64_t{p.n} * p.k * p.out_h * p.out_w, workspace,
                 p.columns_copy);
}

const float* filter_operand(const CudaBackend& be, const CudnnConv& cv, const float* w,
                            float* workspace) {
  const CudnnConvPlan& p = cv.plan;
  return rounded(be, cv, w, int64_t{p.k} * p.c * p.kernel_h * p.kernel_w, workspace, p.filter_copy);
}

void conv_forward(const CudaBackend& be, const CudnnConv& cv, const float* image, const float* w,
                  float* columns, float* workspace) {
  STRATA_CUDNN_CHECK(cudnnConvolutionForward(cudnn_of(be), &kOne, cv.image, image, cv.filter, w,
                                             cv.conv, cv.fwd, cudnn_workspace(cv, workspace),
                                             cv.fwd_bytes, &kZero, cv.columns, columns));
}

void conv_backward_data(const CudaBackend& be, const CudnnConv& cv, const float* w,
                        const float* columns, float* image, float* workspace) {
  STRATA_CUDNN_CHECK(cudnnConvolutionBackwardData(
      cudnn_of(be), &kOne, cv.filter, w, cv.columns, columns, cv.conv, cv.bwd_data,
      cudnn_workspace(cv, workspace), cv.bwd_data_bytes, &kZero, cv.image, image));
}

void conv_backward_filter(const CudaBackend& be, const CudnnConv& cv, const float* image,
                          const float* columns, float* dw, float* workspace) {
  // beta = 1: the weight gradient accumulates.
  STRATA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      cudnn_of(be), &kOne, cv.image, image, cv.columns, columns, cv.conv, cv.bwd_filter,
      cudnn_workspace(cv, workspace), cv.bwd_filter_bytes, &kOne, cv.filter, dw));
}

void pad_image(const CudaBackend& be, const CudnnConvPlan& p, const float* image, float* padded) {
  STRATA_GRID_STRIDE(
      be, p.padded_floats,
      PadImageBody{image, padded, p.image_h, p.image_w, p.h, p.w, p.pad_top, p.pad_left});
}

void crop_image(const CudaBackend& be, const CudnnConvPlan& p, const float* padded, float* image,
                const float* bias) {
  const int64_t n = int64_t{p.n} * p.c * p.image_h * p.image_w;
  STRATA_GRID_STRIDE(be, n,
                     CropImageBody{padded, image, p.image_h, p.image_w, p.h, p.w, p.pad_top,
                                   p.pad_left, bias, p.c});
}

void add_bias(const CudaBackend& be, const CudnnConvPlan& p, float* y, const float* bias) {
  STRATA_GRID_STRIDE(be, int64_t{p.n} * p.bias_channels * p.bias_plane,
                     AddChannelBiasBody{y, bias, p.bias_channels, p.bias_plane});
}

void add_bias_grad(const CudaBackend& be, const CudnnConvPlan& p, const float* dy, float* db) {
  const Launch l = channel_sum_launch(p.bias_channels);
  if (l.blocks == 0) return;
  channel_sums_kernel<<<l.blocks, l.threads, 0, stream_of(be)>>>(dy, p.n, p.bias_channels,
                                                                 p.bias_plane, db);
  STRATA_LAUNCH_CHECK("channel_sums_kernel");
}

}  // namespace strata::cuda
