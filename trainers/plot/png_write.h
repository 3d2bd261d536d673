// Writes 8-bit pixels as a PNG with libpng's simplified API, atomically: path.tmp, then rename,
// so a reader never sees half a picture. Shared by the image grids (png_grid) and the line
// charts (line_plot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

// pixels: height rows of width * channels bytes, top row first; channels 1 (grey) or 3 (RGB).
// Throws naming the path when the file cannot be written or renamed.
void write_png(const std::string& path, const std::vector<uint8_t>& pixels, int64_t width,
               int64_t height, int64_t channels);

}  // namespace strata
