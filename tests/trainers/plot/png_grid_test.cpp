// PNG grids: written, then read back with libpng to check the size, the format, the padding and
// a few pixels (including clamping), for grey, RGB, [N, D] and input/reconstruction pairs.
#include "trainers/plot/png_grid.h"

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "tests/trainers/run/run_test_util.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::TempDir;

struct Picture {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
  int at(int x, int y, int c = 0) const { return pixels[(y * width + x) * channels + c]; }
};

Picture read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  Picture p;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    ADD_FAILURE() << path << ": " << image.message;
    return p;
  }
  p.width = static_cast<int>(image.width);
  p.height = static_cast<int>(image.height);
  p.channels = static_cast<int>(PNG_IMAGE_PIXEL_CHANNELS(image.format));
  p.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, p.pixels.data(), 0, nullptr))
    ADD_FAILURE() << path << ": " << image.message;
  return p;
}

TEST(PngGrid, GreyGridHasPaddingAndClampedPixels) {
  TempDir dir;
  const std::string path = dir.path("grid.png");
  Tensor t(Shape{3, 1, 2, 2});                    // 3 images of 2 x 2
  const float v[12] = {0.0f, 1.0f,  0.5f, -3.0f,  // image 0: black, white, mid, clamped to black
                       2.0f, 0.25f, 0.0f, 0.0f,   // image 1: clamped to white, quarter
                       1.0f, 1.0f,  1.0f, 1.0f};
  for (int i = 0; i < 12; ++i) t[i] = v[i];
  write_png_grid(path, t, GridOptions{.columns = 2, .padding = 1});
  const Picture p = read_png(path);
  ASSERT_EQ(p.channels, 1);
  EXPECT_EQ(p.width, 2 * 2 + 3);   // two columns
  EXPECT_EQ(p.height, 2 * 2 + 3);  // two rows
  EXPECT_EQ(p.at(0, 0), 128);      // padding: mid grey
  EXPECT_EQ(p.at(1, 1), 0);
  EXPECT_EQ(p.at(2, 1), 255);
  EXPECT_EQ(p.at(1, 2), 128);  // 0.5 -> 127.5, rounded
  EXPECT_EQ(p.at(2, 2), 0);
  EXPECT_EQ(p.at(4, 1), 255);  // image 1, top left
  EXPECT_EQ(p.at(5, 1), 64);   // 0.25 -> 63.75
  EXPECT_EQ(p.at(1, 4), 255);  // image 2, second row
  EXPECT_EQ(p.at(4, 4), 128);  // the empty cell stays background
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp-" + std::to_string(::getpid())));
}

TEST(PngGrid, RgbWithARangeOfMinusOneToOne) {
  TempDir dir;
  const std::string path = dir.path("rgb.png");
  Tensor t(Shape{1, 3, 1, 2});
  const float v[6] = {-1.0f, 1.0f, 0.0f, -1.0f, 1.0f, 1.0f};  // R plane, G plane, B plane
  for (int i = 0; i < 6; ++i) t[i] = v[i];
  write_png_grid(path, t, GridOptions{.columns = 8, .padding = 0, .low = -1.0f, .high = 1.0f});
  const Picture p = read_png(path);
  ASSERT_EQ(p.channels, 3);
  EXPECT_EQ(p.width, 2);
  EXPECT_EQ(p.height, 1);
  EXPECT_EQ(p.at(0, 0, 0), 0);
  EXPECT_EQ(p.at(0, 0, 1), 128);
  EXPECT_EQ(p.at(0, 0, 2), 255);
  EXPECT_EQ(p.at(1, 0, 0), 255);
  EXPECT_EQ(p.at(1, 0, 1), 0);
  EXPECT_EQ(p.at(1, 0, 2), 255);
}

TEST(PngGrid, FlatImagesAreSquare) {
  TempDir dir;
  const std::string path = dir.path("flat.png");
  Tensor t(Shape{2, 9});
  t[4] = 1.0f;  // the centre of image 0
  write_png_grid(path, t, GridOptions{.columns = 2, .padding = 2});
  const Picture p = read_png(path);
  EXPECT_EQ(p.width, 2 * 3 + 3 * 2);
  EXPECT_EQ(p.height, 3 + 2 * 2);
  EXPECT_EQ(p.at(3, 3), 255);
  EXPECT_EQ(p.at(2, 2), 0);
}

TEST(PngGrid, PairsSitSideBySide) {
  TempDir dir;
  const std::string path = dir.path("pairs.png");
  Tensor in(Shape{3, 1, 1, 1}), out(Shape{3, 1, 1, 1});
  in.fill(0.0f);
  out.fill(1.0f);
  write_png_pairs(path, in, out, 2);
  const Picture p = read_png(path);
  EXPECT_EQ(p.width, 4 * 1 + 5 * 2);  // 2 pairs per row: 4 columns, padding 2
  EXPECT_EQ(p.height, 2 * 1 + 3 * 2);
  EXPECT_EQ(p.at(2, 2), 0);    // input 0
  EXPECT_EQ(p.at(5, 2), 255);  // reconstruction 0
  EXPECT_EQ(p.at(8, 2), 0);    // input 1
  EXPECT_EQ(p.at(11, 2), 255);
  EXPECT_EQ(p.at(2, 5), 0);  // input 2, second row
  EXPECT_EQ(p.at(5, 5), 255);
  EXPECT_EQ(p.at(8, 5), 128);
}

TEST(PngGrid, BadShapesAndPathsAreErrors) {
  TempDir dir;
  const std::string path = dir.path("bad.png");
  expect_contains(error_of([&] { write_png_grid(path, Tensor(Shape{2, 10})); }), {path, "square"});
  expect_contains(error_of([&] {
                    write_png_grid(path, Tensor(Shape{2, 2, 4, 4}));
                  }),
                  {path, "2 channels"});
  expect_contains(error_of([&] {
                    write_png_pairs(path, Tensor(Shape{2, 4}), Tensor(Shape{3, 4}));
                  }),
                  {path, "differ in shape"});
  const std::string nowhere = dir.path("missing/grid.png");
  expect_contains(error_of([&] {
                    write_png_grid(nowhere, Tensor(Shape{1, 4}));
                  }),
                  {nowhere, "writable"});
  EXPECT_TRUE(dir.files().empty());
}

}  // namespace
}  // namespace strata
