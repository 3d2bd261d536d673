// PNG pictures for the run folder: a grid of images (GAN samples, autoencoder inputs beside their
// reconstructions), written with libpng, atomically (path.tmp, then rename). 8-bit grey (C = 1)
// or RGB (C = 3); the padding between and around the images is mid grey (128), so that black and
// white images stand out from it.
#pragma once

#include <string>

#include "core/tensor.h"

namespace strata {

struct GridOptions {
  int columns = 8;    // images per row; rows follow from the count
  int padding = 2;    // pixels between images (and around the grid)
  float low = 0.0f;   // the value shown black ...
  float high = 1.0f;  // ... and white (values outside are clamped); GANs: -1, 1
};

// images (on the host): [N, C, H, W] with C = 1 (grey) or 3 (RGB), [N, H, W] (grey), or [N, D]
// with D a square (28 * 28: shown as 1 x 28 x 28). Throws naming the path on a bad shape, images
// on a device, or a write error.
void write_png_grid(const std::string& path, const Tensor& images, const GridOptions& o = {});

// Inputs and reconstructions interleaved column-wise: pairs (input i, reconstruction i) side by
// side, `pairs_per_row` pairs per row; both [N, ...] with the same shape.
void write_png_pairs(const std::string& path, const Tensor& inputs, const Tensor& outputs,
                     int pairs_per_row = 8, float low = 0.0f, float high = 1.0f);

}  // namespace strata
