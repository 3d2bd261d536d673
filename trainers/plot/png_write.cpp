#include "trainers/plot/png_write.h"

#include <png.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace strata {

void write_png(const std::string& path, const std::vector<uint8_t>& pixels, int64_t width,
               int64_t height, int64_t channels) {
  STRATA_CHECK(channels == 1 || channels == 3,
               path << ": a PNG of " << channels << " channels; write 1 (grey) or 3 (RGB)");
  STRATA_CHECK(
      width > 0 && height > 0 && pixels.size() == static_cast<size_t>(width * height * channels),
      path << ": " << pixels.size() << " bytes for a picture of " << width << " x " << height
           << " x " << channels << "; the sizes disagree");
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  AtomicFile out(path);
  if (!png_image_write_to_file(&image, out.temp_path().c_str(), 0, pixels.data(),
                               static_cast<png_int_32>(width * channels), nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    STRATA_THROW(path << ": cannot write the picture (libpng says: '" << why
                      << "'); check that the folder exists and is writable");
  }
  png_image_free(&image);
  out.commit();
}

}  // namespace strata
