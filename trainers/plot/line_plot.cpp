// Line charts: the layout (margins from the text sizes), the axes and ticks, anti-aliased lines
// (each pixel's coverage from its distance to the segment, the maximum over a series' segments,
// composited once per series so that joints do not darken) and the legend.
#include "trainers/plot/line_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "trainers/plot/bitmap_font.h"
#include "trainers/plot/png_write.h"

namespace strata {

namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kGrid{232, 232, 232};
constexpr Rgb kAxis{60, 60, 60};
constexpr Rgb kText{30, 30, 30};
constexpr Rgb kLegendBorder{170, 170, 170};

// Okabe and Ito's palette, yellow last (faint on white).
constexpr Rgb kPalette[] = {{0, 114, 178},   {230, 159, 0},  {0, 158, 115}, {213, 94, 0},
                            {204, 121, 167}, {86, 180, 233}, {0, 0, 0},     {240, 228, 66}};

void draw_text(Canvas& c, const std::string& text, int left, int top, int scale, Rgb colour) {
  for_each_text_pixel(text, left, top, scale, [&](int x, int y) { c.set(x, y, colour); });
}

// Text turned a quarter anticlockwise (reads bottom to top), its bounding box at (left, top).
void draw_text_up(Canvas& c, const std::string& text, int left, int top, int scale, Rgb colour) {
  const int w = text_width(text, scale);
  for_each_text_pixel(text, 0, 0, scale,
                      [&](int x, int y) { c.set(left + y, top + w - 1 - x, colour); });
}

void fill_rect(Canvas& c, int x0, int y0, int x1, int y1, Rgb colour) {  // [x0, x1) x [y0, y1)
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) c.set(x, y, colour);
}

// A label for each tick: enough decimals for the step, or an exponent for very large or small.
std::vector<std::string> tick_labels(const std::vector<double>& ticks, bool log_axis) {
  std::vector<std::string> out;
  char buf[64];
  if (log_axis) {
    for (const double t : ticks) {
      std::snprintf(buf, sizeof(buf), "%g", t);
      out.emplace_back(buf);
    }
    return out;
  }
  double biggest = 0, step = 0;
  for (const double t : ticks) biggest = std::max(biggest, std::fabs(t));
  if (ticks.size() >= 2) step = std::fabs(ticks[1] - ticks[0]);
  if (step <= 0) step = biggest > 0 ? biggest : 1;
  const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  const bool exponent = biggest >= 1e6 || (biggest > 0 && biggest < 1e-3);
  for (const double t : ticks) {
    if (t == 0) {
      out.emplace_back("0");
    } else if (exponent) {
      const int t_exp = static_cast<int>(std::floor(std::log10(biggest) + 1e-9));
      std::snprintf(buf, sizeof(buf), "%.*e", std::max(0, t_exp - step_exp), t);
      out.emplace_back(buf);
    } else {
      std::snprintf(buf, sizeof(buf), "%.*f", std::max(0, -step_exp), t);
      out.emplace_back(buf);
    }
  }
  return out;
}

// Distance from (px, py) to the segment (ax, ay)-(bx, by).
double segment_distance(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  const double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return std::sqrt(ex * ex + ey * ey);
}

// Coverage (0..1) of the pixels of [x0, x1) x [y0, y1) by a line of half-width hw, kept as the
// maximum over the segments drawn into it.
struct Coverage {
  int width, height;
  std::vector<float> a;
  Coverage(int w, int h) : width(w), height(h), a(static_cast<size_t>(w) * h, 0.0f) {}
  void segment(double ax, double ay, double bx, double by, double hw, const PlotFrame& f) {
    const int x0 = std::max(f.left, static_cast<int>(std::floor(std::min(ax, bx) - hw - 1)));
    const int x1 = std::min(f.right, static_cast<int>(std::ceil(std::max(ax, bx) + hw + 1)));
    const int y0 = std::max(f.top, static_cast<int>(std::floor(std::min(ay, by) - hw - 1)));
    const int y1 = std::min(f.bottom, static_cast<int>(std::ceil(std::max(ay, by) + hw + 1)));
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        const double d = segment_distance(x + 0.5, y + 0.5, ax, ay, bx, by);
        const float cov = static_cast<float>(std::clamp(hw + 0.5 - d, 0.0, 1.0));
        float& slot = a[static_cast<size_t>(y) * width + x];
        slot = std::max(slot, cov);
      }
  }
};

// The (x, y) to draw of a point: false for a non-finite value or, on a log axis, y <= 0.
bool drawable(const std::pair<double, double>& p, bool log_y) {
  return std::isfinite(p.first) && std::isfinite(p.second) && (!log_y || p.second > 0);
}

}  // namespace

Rgb series_colour(size_t i) {
  return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

Canvas::Canvas(int w, int h, Rgb fill) : width(w), height(h) {
  pixels.resize(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = fill.r;
    pixels[i + 1] = fill.g;
    pixels[i + 2] = fill.b;
  }
}

Rgb Canvas::at(int x, int y) const {
  const size_t i = (static_cast<size_t>(y) * width + x) * 3;
  return {pixels[i], pixels[i + 1], pixels[i + 2]};
}

void Canvas::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const size_t i = (static_cast<size_t>(y) * width + x) * 3;
  pixels[i] = c.r;
  pixels[i + 1] = c.g;
  pixels[i + 2] = c.b;
}

void Canvas::blend(int x, int y, Rgb c, double alpha) {
  if (x < 0 || y < 0 || x >= width || y >= height || alpha <= 0) return;
  alpha = std::min(alpha, 1.0);
  const size_t i = (static_cast<size_t>(y) * width + x) * 3;
  const uint8_t src[3] = {c.r, c.g, c.b};
  for (int k = 0; k < 3; ++k)
    pixels[i + k] = static_cast<uint8_t>(std::lround(pixels[i + k] * (1 - alpha) + src[k] * alpha));
}

double PlotFrame::px(double x) const {
  return left + (x - x_low) / (x_high - x_low) * (right - left);
}

double PlotFrame::py(double y) const {
  const double v = log_y ? std::log10(y) : y;
  return bottom - (v - y_low) / (y_high - y_low) * (bottom - top);
}

std::vector<double> nice_ticks(double low, double high, int target) {
  if (!(high > low) || !std::isfinite(low) || !std::isfinite(high)) return {low};
  const double raw = (high - low) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  const double step = (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
  std::vector<double> ticks;
  const double first = std::ceil(low / step - 1e-9);
  for (double k = first; k * step <= high + step * 1e-9; k += 1) {
    const double v = k * step;
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

std::vector<double> log_ticks(double log_low, double log_high, int target) {
  std::vector<double> ticks;
  const int k0 = static_cast<int>(std::ceil(log_low - 1e-9));
  const int k1 = static_cast<int>(std::floor(log_high + 1e-9));
  const int decades = k1 - k0 + 1;
  if (decades >= 3) {
    const int stride = std::max(1, (decades + target - 1) / target);
    for (int k = k0; k <= k1; ++k)
      if (k % stride == 0) ticks.push_back(std::pow(10.0, k));
    return ticks;
  }
  for (int k = k0 - 1; k <= k1 + 1; ++k)
    for (const double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, k), lv = std::log10(v);
      if (lv >= log_low - 1e-9 && lv <= log_high + 1e-9) ticks.push_back(v);
    }
  if (ticks.size() >= 3) return ticks;
  // Less than about half a decade: linear ticks between the values.
  ticks.clear();
  for (const double v : nice_ticks(std::pow(10.0, log_low), std::pow(10.0, log_high), target))
    if (v > 0) ticks.push_back(v);
  return ticks;
}

RenderedPlot render_line_plot(const LinePlot& plot) {
  const std::string what = plot.title.empty() ? std::string("a line chart") : plot.title;
  STRATA_CHECK(
      plot.width >= 100 && plot.height >= 100 && plot.width <= 10000 && plot.height <= 10000,
      what << ": a picture of " << plot.width << " x " << plot.height
           << " pixels; use 100 to 10000 pixels a side");
  // The data ranges.
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  for (const PlotSeries& s : plot.series)
    for (const auto& p : s.points) {
      if (!drawable(p, plot.log_y)) continue;
      const double v = plot.log_y ? std::log10(p.second) : p.second;
      x_min = std::min(x_min, p.first);
      x_max = std::max(x_max, p.first);
      y_min = std::min(y_min, v);
      y_max = std::max(y_max, v);
    }
  STRATA_CHECK(x_min <= x_max, what << ": nothing to draw: no series has a point with a finite y"
                                    << (plot.log_y ? " above 0 (the y axis is logarithmic)" : ""));
  if (x_max == x_min) {
    x_min -= std::max(1.0, std::fabs(x_min) * 0.1);
    x_max += std::max(1.0, std::fabs(x_max) * 0.1);
  }
  if (y_max == y_min) {
    const double d = plot.log_y ? 0.5 : std::max(std::fabs(y_min) * 0.1, 1e-12);
    y_min -= d;
    y_max += d;
  }
  PlotFrame f;
  f.log_y = plot.log_y;
  const double x_pad = (x_max - x_min) * 0.02, y_pad = (y_max - y_min) * 0.05;
  f.x_low = x_min - x_pad;
  f.x_high = x_max + x_pad;
  f.y_low = y_min - y_pad;
  f.y_high = y_max + y_pad;
  const std::vector<double> x_ticks = nice_ticks(f.x_low, f.x_high);
  const std::vector<double> y_ticks =
      plot.log_y ? log_ticks(f.y_low, f.y_high) : nice_ticks(f.y_low, f.y_high);
  const std::vector<std::string> x_text = tick_labels(x_ticks, false);
  const std::vector<std::string> y_text = tick_labels(y_ticks, plot.log_y);

  // The layout: margins from the text sizes.
  const int s = std::max(1, std::min(plot.width, plot.height) / 250);  // text scale
  const int pad = 4 * s, tick = 3 * s, th = text_height(s), cap = kGlyphCapHeight * s;
  int y_text_w = 0;
  for (const std::string& t : y_text) y_text_w = std::max(y_text_w, text_width(t, s));
  f.left = 2 * pad + (plot.y_label.empty() ? 0 : th + pad) + y_text_w + tick;
  f.top = plot.title.empty() ? 3 * pad : 3 * pad + th + 2 * pad;
  f.right = plot.width - std::max(5 * pad, text_width(x_text.back(), s) / 2 + pad);
  f.bottom = plot.height - (tick + pad + th + (plot.x_label.empty() ? 0 : pad + th) + 2 * pad);
  STRATA_CHECK(f.right - f.left >= 20 && f.bottom - f.top >= 20,
               what << ": a picture of " << plot.width << " x " << plot.height
                    << " pixels leaves no room for the plot; make it larger");

  Canvas c(plot.width, plot.height, kWhite);
  // Grid lines at the ticks.
  std::vector<int> x_at, y_at;
  for (const double t : x_ticks) x_at.push_back(static_cast<int>(std::floor(f.px(t))));
  for (const double t : y_ticks) y_at.push_back(static_cast<int>(std::floor(f.py(t))));
  for (const int x : x_at)
    if (x > f.left && x < f.right) fill_rect(c, x, f.top, x + 1, f.bottom, kGrid);
  for (const int y : y_at)
    if (y > f.top && y < f.bottom) fill_rect(c, f.left, y, f.right, y + 1, kGrid);

  // The series, and where their ink is (for the legend).
  const double hw = std::max(1.0, 0.5 * s);
  std::vector<uint8_t> ink(static_cast<size_t>(plot.width) * plot.height, 0);
  for (size_t si = 0; si < plot.series.size(); ++si) {
    const auto& pts = plot.series[si].points;
    Coverage cov(plot.width, plot.height);
    for (size_t i = 0; i < pts.size(); ++i) {
      if (!drawable(pts[i], plot.log_y)) continue;
      const double ax = f.px(pts[i].first), ay = f.py(pts[i].second);
      const bool next = i + 1 < pts.size() && drawable(pts[i + 1], plot.log_y);
      const bool prev = i > 0 && drawable(pts[i - 1], plot.log_y);
      if (next)
        cov.segment(ax, ay, f.px(pts[i + 1].first), f.py(pts[i + 1].second), hw, f);
      else if (!prev)
        cov.segment(ax, ay, ax, ay, hw + 0.5, f);  // a lone point: a dot
    }
    const Rgb colour = series_colour(si);
    for (int y = f.top; y < f.bottom; ++y)
      for (int x = f.left; x < f.right; ++x) {
        const float a = cov.a[static_cast<size_t>(y) * plot.width + x];
        if (a <= 0) continue;
        c.blend(x, y, colour, a);
        ink[static_cast<size_t>(y) * plot.width + x] = 1;
      }
  }

  // The frame, the ticks and their numbers.
  const int lw = std::max(1, s / 2);
  fill_rect(c, f.left - lw, f.top, f.left, f.bottom + lw, kAxis);
  fill_rect(c, f.left - lw, f.bottom, f.right, f.bottom + lw, kAxis);
  fill_rect(c, f.right, f.top, f.right + lw, f.bottom + lw, kAxis);
  fill_rect(c, f.left - lw, f.top - lw, f.right + lw, f.top, kAxis);
  for (size_t i = 0; i < x_ticks.size(); ++i) {
    const int x = x_at[i];
    if (x < f.left - 1 || x > f.right) continue;
    fill_rect(c, x, f.bottom + lw, x + lw, f.bottom + lw + tick, kAxis);
    const int w = text_width(x_text[i], s);
    draw_text(c, x_text[i], x - w / 2, f.bottom + lw + tick + pad, s, kText);
  }
  for (size_t i = 0; i < y_ticks.size(); ++i) {
    const int y = y_at[i];
    if (y < f.top - 1 || y > f.bottom) continue;
    fill_rect(c, f.left - lw - tick, y, f.left - lw, y + lw, kAxis);
    const int w = text_width(y_text[i], s);
    draw_text(c, y_text[i], f.left - lw - tick - s * 2 - w, y - cap / 2, s, kText);
  }
  // The labels and the title.
  if (!plot.x_label.empty())
    draw_text(c, plot.x_label, (f.left + f.right - text_width(plot.x_label, s)) / 2,
              f.bottom + lw + tick + pad + th + pad, s, kText);
  if (!plot.y_label.empty())
    draw_text_up(c, plot.y_label, 2 * pad, (f.top + f.bottom - text_width(plot.y_label, s)) / 2, s,
                 kText);
  if (!plot.title.empty())
    draw_text(c, plot.title, (f.left + f.right - text_width(plot.title, s)) / 2, 3 * pad, s,
              {0, 0, 0});

  // The legend, in the corner of the plot that hides the fewest pixels of the lines.
  std::vector<size_t> named;
  int name_w = 0;
  for (size_t i = 0; i < plot.series.size(); ++i)
    if (!plot.series[i].name.empty()) {
      named.push_back(i);
      name_w = std::max(name_w, text_width(plot.series[i].name, s));
    }
  if (!named.empty()) {
    const int row = th + s, sample = 8 * pad;
    const int w = pad + sample + pad + name_w + pad;
    const int h = pad + static_cast<int>(named.size()) * row - s + pad - (th - cap) / 2;
    const int m = 2 * pad;
    const int corners[4][2] = {{f.right - m - w, f.top + m},
                               {f.left + m, f.top + m},
                               {f.right - m - w, f.bottom - m - h},
                               {f.left + m, f.bottom - m - h}};
    int best = 0;
    long best_count = -1;
    for (int k = 0; k < 4; ++k) {
      long count = 0;
      for (int y = std::max(0, corners[k][1]); y < std::min(plot.height, corners[k][1] + h); ++y)
        for (int x = std::max(0, corners[k][0]); x < std::min(plot.width, corners[k][0] + w); ++x)
          count += ink[static_cast<size_t>(y) * plot.width + x];
      if (best_count < 0 || count < best_count) {
        best = k;
        best_count = count;
      }
    }
    const int x0 = corners[best][0], y0 = corners[best][1];
    fill_rect(c, x0, y0, x0 + w, y0 + h, kWhite);
    fill_rect(c, x0, y0, x0 + w, y0 + lw, kLegendBorder);
    fill_rect(c, x0, y0 + h - lw, x0 + w, y0 + h, kLegendBorder);
    fill_rect(c, x0, y0, x0 + lw, y0 + h, kLegendBorder);
    fill_rect(c, x0 + w - lw, y0, x0 + w, y0 + h, kLegendBorder);
    for (size_t r = 0; r < named.size(); ++r) {
      const int top = y0 + pad + static_cast<int>(r) * row;
      const int mid = top + cap / 2;
      const int thick = static_cast<int>(2 * hw);
      fill_rect(c, x0 + pad, mid - thick / 2, x0 + pad + sample, mid - thick / 2 + thick,
                series_colour(named[r]));
      draw_text(c, plot.series[named[r]].name, x0 + pad + sample + pad, top, s, kText);
    }
  }
  return RenderedPlot{std::move(c), f};
}

void write_line_plot(const std::string& path, const LinePlot& plot) {
  const RenderedPlot r = render_line_plot(plot);
  write_png(path, r.canvas.pixels, r.canvas.width, r.canvas.height, 3);
}

}  // namespace strata
