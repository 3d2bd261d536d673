// strata plot: a PNG line chart of a run's metrics against the step, one line per phase.
//
//   strata plot RUN_DIR|metrics.jsonl [--metric loss[,other...]] [--out PATH] [--log-y]
//               [--width 800] [--height 500]
//
// Without --metric it draws the loss curve of the run folder's loss.png ("loss", or every metric
// whose name ends in "loss": a GAN's d_loss and g_loss). The picture goes beside the metrics file
// by default: loss.png for the loss curve, <metric>.png (names joined by '_') otherwise.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/error.h"
#include "trainers/plot/line_plot.h"
#include "trainers/plot/loss_curve.h"
#include "trainers/plot/metrics_read.h"

namespace strata::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kDescription =
    "Draws a run's metrics against the step as a PNG line chart, one line per phase. Without\n"
    "--metric, the loss curve of the run folder's loss.png (\"loss\", or every metric whose name\n"
    "ends in \"loss\"). The picture goes beside the metrics file by default: loss.png for the\n"
    "loss curve, <metric>.png (names joined by '_') otherwise.";

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    const std::string part = s.substr(start, comma == std::string::npos ? comma : comma - start);
    STRATA_CHECK(!part.empty(), "--metric '" << s << "': an empty name; give names separated by "
                                             << "commas, e.g. --metric d_loss,g_loss");
    parts.push_back(part);
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

}  // namespace

int run_plot(const Args& args) {
  std::string input, metric, out;
  bool log_y = false;
  int64_t width = 800, height = 500;
  FlagParser app("strata plot", kDescription);
  app.add_option("RUN_DIR", input, "a run folder, or a metrics.jsonl")
      ->required()
      ->check(existing_path("give a run folder or its metrics.jsonl"));
  CLI::Option* metric_opt = app.add_option(
      "--metric", metric, "the metrics to draw, separated by commas (e.g. d_loss,g_loss)");
  app.add_option("--out", out, "the PNG to write (default: beside the metrics file)");
  app.add_flag("--log-y", log_y, "a logarithmic y axis")->disable_flag_override();
  app.add_option("--width", width, "in pixels")->check(int_range(100))->capture_default_str();
  app.add_option("--height", height, "in pixels")->check(int_range(100))->capture_default_str();
  if (!parse_flags(app, args)) return 0;
  std::error_code ec;
  const std::string metrics_path =
      fs::is_directory(input, ec) ? (fs::path(input) / "metrics.jsonl").string() : input;
  STRATA_CHECK(fs::exists(metrics_path, ec),
               input << ": a folder without a metrics.jsonl; is it a run folder ('strata train "
                        "--run-dir')?");
  const std::vector<MetricsRecord> records = read_metrics(metrics_path);
  // No --metric: the loss curve's metrics ("loss", or a GAN's d_loss and g_loss).
  std::vector<std::string> metrics;
  if (metric_opt->count() > 0) {
    metrics = split_commas(metric);
  } else {
    metrics = loss_metrics(records);
    if (metrics.empty()) metrics = {"loss"};  // for the error that lists what the file has
  }

  if (out.empty()) {
    std::string stem;
    for (const std::string& m : metrics) stem += (stem.empty() ? "" : "_") + m;
    if (metric_opt->count() == 0) stem = "loss";
    out = (fs::path(metrics_path).parent_path() / (stem + ".png")).string();
  }

  LinePlot plot = metrics_plot(records, metrics, metrics_path);
  plot.log_y = log_y;
  plot.width = static_cast<int>(width);
  plot.height = static_cast<int>(height);
  if (log_y) plot.y_label += " (log scale)";
  write_line_plot(out, plot);
  size_t points = 0;
  for (const PlotSeries& s : plot.series) points += s.points.size();
  std::printf("wrote %s: %zu series, %zu points\n", out.c_str(), plot.series.size(), points);
  return 0;
}

}  // namespace strata::cli
