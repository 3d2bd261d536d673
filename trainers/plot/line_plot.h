// Line charts as PNG pictures, drawn without a plotting library: white background, axes with
// about five "nice" ticks (1, 2 or 5 x 10^k) and their numbers, axis labels, a title, one
// anti-aliased 2-pixel line per series in a colour-blind-friendly palette (Okabe and Ito) and a
// legend in the corner of the plot that hides the fewest points. Text uses bitmap_font.h.
//
// A non-finite y (null in metrics.jsonl) breaks a series' line there; with a log-scale y axis,
// points with y <= 0 are skipped the same way.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

// Colour i of the series palette (cycles after eight).
Rgb series_colour(size_t i);

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), in x order
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  bool log_y = false;
  int width = 800, height = 500;
};

// An RGB picture, rows top first.
struct Canvas {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3
  Canvas(int w, int h, Rgb fill);
  Rgb at(int x, int y) const;
  void set(int x, int y, Rgb c);                  // ignored outside the picture
  void blend(int x, int y, Rgb c, double alpha);  // c over the pixel, alpha in [0, 1]
};

// Where the data lands: the plot area in pixels (x from left to right, y from bottom up to top)
// and the data ranges it shows (for a log axis, y_low and y_high are log10 of the values).
struct PlotFrame {
  int left = 0, top = 0, right = 0, bottom = 0;
  double x_low = 0, x_high = 1, y_low = 0, y_high = 1;
  bool log_y = false;
  double px(double x) const;  // pixel column of x (fractional: the centre of a pixel is +0.5)
  double py(double y) const;  // pixel row of y
};

struct RenderedPlot {
  Canvas canvas;
  PlotFrame frame;
};

// About `target` ticks at 1, 2 or 5 x 10^k in [low, high], in order.
std::vector<double> nice_ticks(double low, double high, int target = 5);
// The ticks of a log10 axis spanning [log_low, log_high] (values, not logs): 10^k, with 2 and 5
// x 10^k when the range is short, every n-th decade when it is long.
std::vector<double> log_ticks(double log_low, double log_high, int target = 5);

// Draws the chart. Throws (naming the title) when no series has a point to draw or the size is
// out of range (100 .. 10000 pixels a side).
RenderedPlot render_line_plot(const LinePlot& plot);
// Draws the chart and writes it to path as an RGB PNG (atomically, png_write.h).
void write_line_plot(const std::string& path, const LinePlot& plot);

}  // namespace strata
