// Line charts: nice ticks, the data landing on the expected pixels, the palette, breaks at
// non-finite values, the log scale, the legend, errors, and a PNG read back with libpng.
#include "trainers/plot/line_plot.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tests/trainers/run/run_test_util.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The colour at data point (x, y).
Rgb at_data(const RenderedPlot& r, double x, double y) {
  return r.canvas.at(static_cast<int>(std::floor(r.frame.px(x))),
                     static_cast<int>(std::floor(r.frame.py(y))));
}

// Whether a is b drawn with a coverage of at least 3/4 over white or light grey: a pixel's centre
// may lie up to 0.7 pixels from the line, where the anti-aliased 2-pixel line covers it by 0.8.
bool near(Rgb a, Rgb b) {
  return std::abs(a.r - b.r) <= 64 && std::abs(a.g - b.g) <= 64 && std::abs(a.b - b.b) <= 64;
}

// Pixels of colour c in [x0, x1) x [y0, y1).
int count_colour(const Canvas& c, Rgb colour, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += c.at(x, y) == colour;
  return n;
}

LinePlot diagonal(const std::string& name = "") {
  LinePlot p;
  p.width = 400;
  p.height = 300;
  PlotSeries s;
  s.name = name;
  for (int i = 0; i <= 10; ++i) s.points.emplace_back(i, i);
  p.series.push_back(s);
  return p;
}

TEST(LinePlot, NiceTicks) {
  const std::vector<double> unit = nice_ticks(0, 1);
  ASSERT_EQ(unit.size(), 6u);
  for (size_t i = 0; i < unit.size(); ++i) EXPECT_NEAR(unit[i], 0.2 * i, 1e-12);
  EXPECT_EQ(nice_ticks(-3, 10230), std::vector<double>({0, 2000, 4000, 6000, 8000, 10000}));
  const std::vector<double> t = nice_ticks(0.013, 0.087);
  ASSERT_GE(t.size(), 4u);
  EXPECT_LE(t.size(), 8u);
  for (const double v : t) {
    EXPECT_GE(v, 0.013);
    EXPECT_LE(v, 0.087);
    EXPECT_NEAR(v * 100, std::round(v * 100), 1e-9);  // multiples of 0.01
  }
  EXPECT_EQ(log_ticks(-2.1, 0.3), std::vector<double>({0.01, 0.1, 1}));
  EXPECT_EQ(log_ticks(-0.1, 1.1), std::vector<double>({1, 2, 5, 10}));
  EXPECT_EQ(log_ticks(-12, 12).size(), 5u);  // every 5th decade of 25
}

TEST(LinePlot, PointsLandOnTheirPixels) {
  const RenderedPlot r = render_line_plot(diagonal());
  EXPECT_EQ(r.canvas.width, 400);
  EXPECT_EQ(r.canvas.height, 300);
  const PlotFrame& f = r.frame;
  EXPECT_LT(f.px(0), f.px(10));
  EXPECT_GT(f.py(0), f.py(10));  // y grows upwards
  EXPECT_GE(f.px(0), f.left);
  EXPECT_LE(f.px(10), f.right);
  for (const double v : {0.0, 2.5, 5.0, 7.25, 10.0})
    EXPECT_TRUE(near(at_data(r, v, v), series_colour(0))) << "at " << v;
  // Off the line: the background.
  EXPECT_EQ(at_data(r, 8.1, 1.3), (Rgb{255, 255, 255}));
  EXPECT_EQ(r.canvas.at(0, 0), (Rgb{255, 255, 255}));
  // The 2-pixel line: the pixels two above and below a point on it are not the line colour.
  const int x = static_cast<int>(f.px(5)), y = static_cast<int>(f.py(5));
  EXPECT_EQ(r.canvas.at(x, y - 4), (Rgb{255, 255, 255}));
  EXPECT_EQ(r.canvas.at(x, y + 4), (Rgb{255, 255, 255}));
}

TEST(LinePlot, EachSeriesItsColour) {
  LinePlot p = diagonal();
  PlotSeries flat;
  for (int i = 0; i <= 10; ++i) flat.points.emplace_back(i, 3);
  p.series.push_back(flat);
  const RenderedPlot r = render_line_plot(p);
  EXPECT_TRUE(near(at_data(r, 7, 7), series_colour(0)));
  EXPECT_TRUE(near(at_data(r, 7, 3), series_colour(1)));
  EXPECT_NE(series_colour(0), series_colour(1));
  EXPECT_EQ(series_colour(8), series_colour(0));  // the palette cycles
}

TEST(LinePlot, NonFiniteValuesBreakTheLine) {
  LinePlot p = diagonal();
  p.series[0].points[5].second = kNaN;
  const RenderedPlot r = render_line_plot(p);
  EXPECT_TRUE(near(at_data(r, 3.5, 3.5), series_colour(0)));
  EXPECT_TRUE(near(at_data(r, 6.5, 6.5), series_colour(0)));
  EXPECT_FALSE(near(at_data(r, 5, 5), series_colour(0)));  // the gap
  p.series[0].points[5].second = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(near(at_data(render_line_plot(p), 5, 5), series_colour(0)));
}

TEST(LinePlot, LogScale) {
  LinePlot p;
  PlotSeries s;
  s.points = {{0, 1}, {1, 10}, {2, 100}, {3, -1}, {4, 0}, {5, 1000}};
  p.series.push_back(s);
  p.log_y = true;
  const RenderedPlot r = render_line_plot(p);
  const PlotFrame& f = r.frame;
  EXPECT_NEAR(f.py(10), (f.py(1) + f.py(100)) / 2, 1e-9);  // equal steps per decade
  EXPECT_NEAR(f.py(100) - f.py(1000), f.py(1) - f.py(10), 1e-9);
  for (const double x : {0.0, 0.5, 1.0, 2.0})
    EXPECT_TRUE(near(at_data(r, x, std::pow(10.0, x)), series_colour(0))) << "at " << x;
  // y <= 0 is skipped: the line breaks between x = 2 and x = 5.
  EXPECT_FALSE(near(at_data(r, 3.5, std::pow(10.0, 2.5)), series_colour(0)));
  EXPECT_TRUE(near(at_data(r, 5, 1000), series_colour(0)));  // a lone point is a dot
  // Only y <= 0: nothing to draw.
  p.series[0].points = {{0, 0}, {1, -2}};
  expect_contains(error_of([&] { render_line_plot(p); }), {"nothing to draw", "logarithmic"});
}

TEST(LinePlot, LegendAvoidsTheLines) {
  const RenderedPlot plain = render_line_plot(diagonal());
  const RenderedPlot named = render_line_plot(diagonal("rising"));
  const PlotFrame& f = named.frame;
  const int mid_x = (f.left + f.right) / 2, mid_y = (f.top + f.bottom) / 2;
  // The rising line leaves the top-left and bottom-right corners empty: the legend's sample
  // line goes into the top-left one, the first free corner after the top right.
  EXPECT_EQ(count_colour(plain.canvas, series_colour(0), f.left, f.top, mid_x - 10, mid_y - 10), 0);
  EXPECT_GT(count_colour(named.canvas, series_colour(0), f.left, f.top, mid_x - 10, mid_y - 10),
            20);
  EXPECT_TRUE(near(at_data(named, 5, 5), series_colour(0)));  // the line is not hidden
}

TEST(LinePlot, Errors) {
  LinePlot p;
  p.title = "empty chart";
  expect_contains(error_of([&] { render_line_plot(p); }), {"empty chart", "nothing to draw"});
  p.series.push_back(PlotSeries{"nan", {{0, kNaN}, {1, kNaN}}});
  expect_contains(error_of([&] { render_line_plot(p); }), {"nothing to draw"});
  LinePlot small = diagonal();
  small.width = 50;
  expect_contains(error_of([&] { render_line_plot(small); }), {"50 x 300", "100 to 10000"});
}

TEST(LinePlot, OnePointAndFlatSeries) {
  LinePlot p;
  p.series.push_back(PlotSeries{"one", {{3, 0.5}}});
  const RenderedPlot r = render_line_plot(p);
  EXPECT_TRUE(near(at_data(r, 3, 0.5), series_colour(0)));
  p.series[0].points.emplace_back(4, 0.5);
  EXPECT_TRUE(near(at_data(render_line_plot(p), 3.5, 0.5), series_colour(0)));
}

TEST(LinePlot, PngReadsBack) {
  TempDir dir;
  const std::string path = dir.path("loss.png");
  LinePlot p = diagonal("rising");
  p.title = "loss - run";
  p.x_label = "step";
  p.y_label = "loss";
  p.width = 800;
  p.height = 500;
  write_line_plot(path, p);
  EXPECT_EQ(dir.files(), std::vector<std::string>({"loss.png"}));  // no .tmp left
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&image, path.c_str())) << image.message;
  EXPECT_EQ(image.width, 800u);
  EXPECT_EQ(image.height, 500u);
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) << image.message;
  const RenderedPlot r = render_line_plot(p);
  EXPECT_EQ(pixels, r.canvas.pixels);
  auto pixel = [&](int x, int y) {
    const size_t i = (static_cast<size_t>(y) * 800 + x) * 3;
    return Rgb{pixels[i], pixels[i + 1], pixels[i + 2]};
  };
  EXPECT_EQ(pixel(0, 0), (Rgb{255, 255, 255}));
  EXPECT_TRUE(near(pixel(static_cast<int>(r.frame.px(5)), static_cast<int>(r.frame.py(5))),
                   series_colour(0)));
  // Text: the title's row has dark pixels.
  int dark = 0;
  for (int y = 0; y < r.frame.top; ++y)
    for (int x = 0; x < 800; ++x) dark += pixel(x, y).r < 100;
  EXPECT_GT(dark, 50);
  // An unwritable path: an error naming it, and no file.
  expect_contains(error_of([&] { write_line_plot(dir.path("missing/x.png"), p); }),
                  {"missing/x.png", "cannot write"});
}

}  // namespace
}  // namespace strata
