// The kernel bodies of the CUDA convolutions around cuDNN (core/ops/conv2d.cu,
// conv_transpose2d.cu, launched by core/ops/conv_cudnn.cu), compiled for the host and the GPU
// (tests/core/ops/kernels/conv_test.cpp runs them on the CPU against the CPU ops):
// - PadImageBody: the image into the zero-padded buffer of a CudnnConvPlan (conv_plan.h);
// - CropImageBody: the padded buffer back to the image, plus a per-channel bias if any;
// - AddChannelBiasBody: y[n, c, p] += bias[c];
// - ChannelSumTerm: the terms of db[c] += sum over n and p of dy[n, c, p], summed by one block
//   per channel with the deterministic block sum (core/ops/kernels/block_sum.h).
#pragma once

#include <cstdint>

#include "core/host_device.h"
#include "core/ops/kernels/block_sum.h"
#include "core/ops/kernels/launch.h"

namespace strata {

// padded[nc, r, q] = image[nc, r - top, q - left], or 0 outside the image; i runs over the
// padded buffer (count * ph * pw values for count = batch * channels images).
struct PadImageBody {
  const float* image;
  float* padded;
  int64_t h, w;    // the image
  int64_t ph, pw;  // the padded buffer
  int64_t top, left;
  STRATA_HD void operator()(int64_t i) const {
    const int64_t q = i % pw, r = (i / pw) % ph, nc = i / (pw * ph);
    const int64_t y = r - top, x = q - left;
    padded[i] = y >= 0 && y < h && x >= 0 && x < w ? image[(nc * h + y) * w + x] : 0.0f;
  }
};

// image[n, c, y, x] = padded[n, c, y + top, x + left] (0 where that is past the buffer: image
// rows the convolution never reaches), plus bias[c] when bias is not null; i runs over the image
// (batch * channels * h * w values).
struct CropImageBody {
  const float* padded;
  float* image;
  int64_t h, w, ph, pw, top, left;
  const float* bias;  // [channels], or null
  int64_t channels;
  STRATA_HD void operator()(int64_t i) const {
    const int64_t x = i % w, y = (i / w) % h, nc = i / (w * h);
    const int64_t r = y + top, q = x + left;
    const float v = r < ph && q < pw ? padded[(nc * ph + r) * pw + q] : 0.0f;
    image[i] = bias ? v + bias[nc % channels] : v;
  }
};

// y[n, c, p] += bias[c] for y of [batch, channels, plane]; i runs over y.
struct AddChannelBiasBody {
  float* y;
  const float* bias;
  int64_t channels, plane;
  STRATA_HD void operator()(int64_t i) const { y[i] += bias[(i / plane) % channels]; }
};

// Term j < batch * plane of channel c's sum over dy [batch, channels, plane]: image j / plane,
// position j % plane (consecutive threads read consecutive positions).
struct ChannelSumTerm {
  const float* dy;
  int64_t channels, plane, c;
  STRATA_HD double operator()(int64_t j) const {
    const int64_t n = j / plane, p = j - n * plane;
    return static_cast<double>(dy[(n * channels + c) * plane + p]);
  }
};

// The per-channel sums' grid: block c sums channel c with kSumThreads threads.
inline Launch channel_sum_launch(int64_t channels) {
  if (channels <= 0) return {};
  return {static_cast<uint32_t>(channels), static_cast<uint32_t>(kSumThreads)};
}

// The host mirror of the per-channel sums kernel: db[c] += the block sum of channel c, the same
// additions in the same order.
inline void add_channel_sums_on_host(const float* dy, int64_t batch, int64_t channels,
                                     int64_t plane, float* db) {
  for (int64_t c = 0; c < channels; ++c)
    db[c] += static_cast<float>(
        block_sum_on_host(batch * plane, ChannelSumTerm{dy, channels, plane, c}));
}

}  // namespace strata
