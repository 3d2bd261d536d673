// PNG grids for the run folder: images laid out in rows on a mid-grey background, mapped from
// [low, high] to 0..255 (clamped), written by write_png (atomically: core/atomic_file.h).
#include "trainers/plot/png_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "trainers/plot/png_write.h"

namespace strata {

namespace {

constexpr uint8_t kBackground = 128;  // mid grey: tells black and white images from the padding

// One image's layout in a [N, ...] tensor.
struct ImageShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
};

ImageShape image_shape(const std::string& path, const Tensor& t) {
  ImageShape s;
  const Shape& sh = t.shape();
  if (t.rank() == 4) {
    s = {sh[0], sh[1], sh[2], sh[3]};
  } else if (t.rank() == 3) {
    s = {sh[0], 1, sh[1], sh[2]};  // [N, H, W]: grey
  } else if (t.rank() == 2) {
    const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(sh[1]))));
    STRATA_CHECK(side * side == sh[1],
                 path << ": images of shape " << sh.str() << " ([N, D]) need D to be a square "
                      << "(e.g. 784 = 28 x 28); reshape them to [N, C, H, W] first");
    s = {sh[0], 1, side, side};
  } else {
    STRATA_THROW(path << ": images of shape " << sh.str()
                      << ", expected [N, C, H, W], [N, H, W] or [N, D] with D a square");
  }
  STRATA_CHECK(s.c == 1 || s.c == 3, path << ": images of shape " << sh.str() << " have " << s.c
                                          << " channels; a PNG shows 1 (grey) or 3 (RGB)");
  STRATA_CHECK(s.n > 0 && s.h > 0 && s.w > 0 && !t.empty(),
               path << ": no images to draw (shape " << sh.str() << ")");
  return s;
}

uint8_t to_byte(float v, float low, float scale) {
  float x = (v - low) * scale;
  if (!(x >= 0.0f)) x = 0.0f;  // NaN too
  if (x > 255.0f) x = 255.0f;
  return static_cast<uint8_t>(x + 0.5f);
}

// Draws image i of each source in turn: sources = {a} for a grid, {a, b} for pairs.
void draw_grid(const std::string& path, const std::vector<const Tensor*>& sources, int columns,
               int padding, float low, float high) {
  STRATA_CHECK(columns >= 1 && padding >= 0,
               path << ": a grid of " << columns << " columns with padding " << padding
                    << "; use at least 1 column and a padding of 0 or more");
  STRATA_CHECK(high > low, path << ": the value range [" << low << ", " << high
                                << "] is empty; set high above low");
  for (const Tensor* t : sources)
    STRATA_CHECK(t->on_cpu(), path << ": the images are on " << t->device().str()
                                   << "; a picture is drawn from host values: copy them to the "
                                      "host first (Tensor::to(Device::cpu()))");
  const ImageShape s = image_shape(path, *sources[0]);
  const int64_t count = s.n * static_cast<int64_t>(sources.size());
  const int64_t cols = std::min<int64_t>(columns, count);
  const int64_t rows = (count + cols - 1) / cols;
  const int64_t width = cols * s.w + (cols + 1) * padding;
  const int64_t height = rows * s.h + (rows + 1) * padding;
  STRATA_CHECK(width <= (1 << 20) && height <= (1 << 20),
               path << ": a picture of " << width << " x " << height
                    << " pixels is too large; draw fewer images");
  std::vector<uint8_t> pixels(static_cast<size_t>(width * height * s.c), kBackground);
  const float scale = 255.0f / (high - low);
  const int64_t plane = s.h * s.w;
  for (int64_t k = 0; k < count; ++k) {
    const Tensor& src = *sources[k % sources.size()];
    const float* img = src.data() + (k / static_cast<int64_t>(sources.size())) * s.c * plane;
    const int64_t x0 = padding + (k % cols) * (s.w + padding);
    const int64_t y0 = padding + (k / cols) * (s.h + padding);
    for (int64_t y = 0; y < s.h; ++y)
      for (int64_t x = 0; x < s.w; ++x)
        for (int64_t c = 0; c < s.c; ++c)
          pixels[static_cast<size_t>(((y0 + y) * width + x0 + x) * s.c + c)] =
              to_byte(img[c * plane + y * s.w + x], low, scale);
  }
  write_png(path, pixels, width, height, s.c);
}

}  // namespace

void write_png_grid(const std::string& path, const Tensor& images, const GridOptions& o) {
  draw_grid(path, {&images}, o.columns, o.padding, o.low, o.high);
}

void write_png_pairs(const std::string& path, const Tensor& inputs, const Tensor& outputs,
                     int pairs_per_row, float low, float high) {
  STRATA_CHECK(inputs.shape() == outputs.shape(),
               path << ": inputs " << inputs.shape().str() << " and reconstructions "
                    << outputs.shape().str() << " differ in shape; pass the same samples");
  STRATA_CHECK(pairs_per_row >= 1,
               path << ": " << pairs_per_row << " pairs per row; use at least 1");
  GridOptions o;
  draw_grid(path, {&inputs, &outputs}, 2 * pairs_per_row, o.padding, low, high);
}

}  // namespace strata
