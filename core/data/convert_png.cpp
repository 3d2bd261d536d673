// The PNG converter: a folder of PNG images, labels from sub-folder names.
#include <png.h>

#include <algorithm>
#include <filesystem>

#include "core/data/convert.h"
#include "core/data/convert_shards.h"
#include "core/error.h"

namespace strata {

namespace {

namespace fs = std::filesystem;

bool is_png(const fs::directory_entry& e) {
  std::string ext = e.path().extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return e.is_regular_file() && ext == ".png";
}

std::vector<std::string> pngs_in(const fs::path& dir) {
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (is_png(e)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Opens `path` with libpng's simplified API; the format asked for is 8-bit, no colour map.
png_image open_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    const std::string why = image.message;
    png_image_free(&image);
    STRATA_THROW(path << ": not a readable PNG image (libpng says: '" << why
                      << "'); remove or replace the file");
  }
  image.format &= ~(PNG_FORMAT_FLAG_COLORMAP | PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_BGR |
                    PNG_FORMAT_FLAG_AFIRST);
  return image;
}

const char* channel_text(int64_t c) {
  switch (c) {
    case 1:
      return "grey";
    case 2:
      return "grey+alpha";
    case 3:
      return "RGB";
    default:
      return "RGBA";
  }
}

}  // namespace

ConvertResult convert_png(const std::string& input_dir, const ConvertOptions& options) {
  std::error_code ec;
  STRATA_CHECK(fs::is_directory(input_dir, ec),
               input_dir << ": not a folder; --input expects a folder of PNG images, with one "
                            "sub-folder per class");
  std::vector<std::string> classes;
  for (const fs::directory_entry& e : fs::directory_iterator(input_dir))
    if (e.is_directory()) classes.push_back(e.path().filename().string());
  std::sort(classes.begin(), classes.end());
  std::vector<std::string> files;
  std::vector<int64_t> labels;
  const std::vector<std::string> top = pngs_in(input_dir);
  if (classes.empty()) {
    files = top;
  } else {
    STRATA_CHECK(top.empty(), input_dir << ": holds both PNG files (e.g. " << top.front()
                                        << ") and class sub-folders, expected one or the other; "
                                           "move the loose images into a class folder");
    for (size_t k = 0; k < classes.size(); ++k) {
      for (const std::string& f : pngs_in(fs::path(input_dir) / classes[k])) {
        files.push_back(f);
        labels.push_back(static_cast<int64_t>(k));
      }
    }
  }
  STRATA_CHECK(!files.empty(), input_dir << ": no *.png files found (looked in the folder and in "
                                            "its sub-folders), expected at least one image");

  png_image first = open_png(files[0]);
  const int64_t c = PNG_IMAGE_SAMPLE_CHANNELS(first.format);
  const int64_t h = first.height, w = first.width;
  const png_uint_32 format = first.format;
  png_image_free(&first);
  const bool has_labels = !classes.empty();
  return detail::write_shards(
      static_cast<int64_t>(files.size()), c, h, w, has_labels, classes, options,
      [&](int64_t start, int64_t n, uint8_t* out, int64_t* lab) {
        for (int64_t i = 0; i < n; ++i) {
          const std::string& path = files[static_cast<size_t>(start + i)];
          png_image image = open_png(path);
          const int64_t ic = PNG_IMAGE_SAMPLE_CHANNELS(image.format);
          if (ic != c || image.height != h || image.width != w) {
            const int64_t ih = image.height, iw = image.width;
            png_image_free(&image);
            STRATA_THROW(path << ": a " << iw << "x" << ih << " " << channel_text(ic)
                              << " image, expected " << w << "x" << h << " " << channel_text(c)
                              << " like " << files[0]
                              << " (all images must share one size and channel count); resize "
                                 "or convert it, or remove it");
          }
          image.format = format;
          if (!png_image_finish_read(&image, nullptr, out + i * c * h * w, 0, nullptr)) {
            const std::string why = image.message;
            png_image_free(&image);
            STRATA_THROW(path << ": cannot decode the PNG image (libpng says: '" << why
                              << "'); the file is probably damaged: replace or remove it");
          }
          if (lab) lab[i] = labels[static_cast<size_t>(start + i)];
        }
      });
}

}  // namespace strata
