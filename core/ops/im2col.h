// Column-matrix helpers of the CPU convolutions (conv2d.cpp, conv_transpose2d.cpp).
//
// A convolution over one image of [C, H, W] with an output of [OH, OW] is seen as a GEMM over a
// column matrix of C*kh*kw rows and OH*OW columns: row (c*kh + i)*kw + j, column oh*OW + ow holds
// image[c, oh*sh - pad_top + i, ow*sw - pad_left + j], or 0 where that falls outside the image.
// Only the top/left padding is stored; the bottom/right padding is whatever makes OH x OW come
// out (so asymmetric "same" padding and a transposed convolution's output_padding need nothing
// special).
//
// To make GEMMs large enough, several images of a batch share one column matrix: image g of a
// group owns columns [g*OH*OW, (g+1)*OH*OW) of a matrix whose leading dimension is
// group*OH*OW. pack_images/unpack_images move NCHW tensors to and from that [C, group*plane]
// layout.
//
// Nothing here allocates or starts threads; the layers call these from inside their own
// OpenMP regions, one group per call.
#pragma once

#include <cstdint>

namespace strata {

struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;  // the image side (a ConvTranspose2D's output)
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  int64_t out_h = 0, out_w = 0;  // the column side (a ConvTranspose2D's input)

  int64_t rows() const { return channels * kernel_h * kernel_w; }
  // The kernel covers the whole unpadded image exactly once (a 1x1 output): the column matrix
  // of an image is the image itself, so the convolution is a plain matrix product (Dense).
  bool is_dense() const {
    return out_h == 1 && out_w == 1 && kernel_h == height && kernel_w == width && pad_top == 0 &&
           pad_left == 0;
  }
  int64_t plane() const { return out_h * out_w; }
  int64_t image_size() const { return channels * height * width; }
};

// Writes the column matrix of `image` into cols[r * ld + p] for p < g.plane().
void im2col(const float* image, const ConvGeometry& g, float* cols, int64_t ld);

// The adjoint of im2col: adds every column entry back onto the image element it was copied
// from. `image` must be initialised by the caller (zeros, or a bias).
void col2im_add(const float* cols, int64_t ld, const ConvGeometry& g, float* image);

// x holds `count` NCHW images of [channels, plane]; packed[c * count*plane + i*plane + p] =
// x[i, c, p].
void pack_images(const float* x, int64_t count, int64_t channels, int64_t plane, float* packed);
// The inverse of pack_images, adding bias[c] on the way when bias is not null.
void unpack_images(const float* packed, int64_t count, int64_t channels, int64_t plane,
                   const float* bias, float* x);

// y[c, p] (one image) = bias[c], or 0 when bias is null.
void fill_channels(float* y, int64_t channels, int64_t plane, const float* bias);
// y[c, p] += bias[c] (one image).
void add_channel_bias(float* y, int64_t channels, int64_t plane, const float* bias);
// sums[c] += sum over `count` images and the plane of dy[i, c, p].
void add_channel_sums(const float* dy, int64_t count, int64_t channels, int64_t plane, float* sums);

// How a batch is split for the per-thread GEMMs: `group` images share one column matrix, so the
// GEMMs have a few hundred columns (fewer when the batch is small, or when the column matrix
// would pass 4 MiB), and the groups divide evenly among the threads. `threads` is the most
// threads the scratch is sized for.
struct BatchSplit {
  int threads = 1;
  int64_t group = 1;
  int64_t work_per_image = 0;  // multiply-adds of one image's largest GEMM

  int64_t groups(int64_t batch) const { return (batch + group - 1) / group; }
  // Threads worth starting for this batch: at most `threads`, one per group, and one for a
  // batch too small to pay for a parallel region.
  int active_threads(int64_t batch) const;
};
BatchSplit split_batch(int64_t batch, int64_t plane, int64_t rows, int64_t work_per_image,
                       int threads);

// The workspace of a convolution's per-thread GEMMs; thread t's slice starts at
// workspace + t * slice and holds the column matrix of one image group [rows, group * plane], the
// packed [channels, group * plane] other operand (groups of more than one image; channels is the
// output's for conv2d, the input's for conv_transpose2d), then partial dW [channels, rows] and db
// [bias_channels] (threads > 0; thread 0 adds straight into the gradients).
struct ConvScratch {
  BatchSplit split;
  int64_t off_buf = 0, off_dw = 0, off_db = 0, slice = 0;
};
ConvScratch conv_scratch(const ConvGeometry& g, int64_t batch, int64_t channels,
                         int64_t bias_channels, int threads);

// dst[i] += sum over k < count of partials[k * stride + i], for i < n (parallel).
void add_partials(float* dst, const float* partials, int count, int64_t stride, int64_t n,
                  int threads);

// Rounds a float count up to a whole number of 64-byte lines (keeps per-thread slices aligned
// and off each other's cache lines).
inline int64_t align_floats(int64_t n) {
  return (n + 15) / 16 * 16;
}

}  // namespace strata
