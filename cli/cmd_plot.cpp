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

const char* const kUsage =
    "usage: strata plot RUN_DIR|metrics.jsonl [--metric NAME[,NAME...]] [--out PATH] [--log-y]\n"
    "                   [--width 800] [--height 500]\n";

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    const std::string part = s.substr(start, comma == std::string::npos ? comma : comma - start);
    STRATA_CHECK(!part.empty(), "--metric '" << s << "': an empty name; give names separated by "
                                             << "commas, e.g. --metric d_loss,g_loss\n"
                                             << kUsage);
    parts.push_back(part);
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

}  // namespace

int run_plot(const Args& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("%s", kUsage);
    return 0;
  }
  // The input (the one positional argument) and --log-y (a flag without a value) first; the
  // rest are "--name value" flags.
  std::string input;
  bool log_y = false;
  Args rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-y") {
      log_y = true;
    } else if (args[i].rfind("--", 0) == 0) {
      rest.push_back(args[i]);
      if (args[i].find('=') == std::string::npos && i + 1 < args.size()) rest.push_back(args[++i]);
    } else {
      STRATA_CHECK(input.empty(), "two inputs, '" << input << "' and '" << args[i]
                                                  << "'; give one run folder or metrics file\n"
                                                  << kUsage);
      input = args[i];
    }
  }
  const Flags flags = parse_flags(rest, {"metric", "out", "width", "height"}, kUsage);
  STRATA_CHECK(!input.empty(), "strata plot needs a run folder or a metrics.jsonl\n" << kUsage);
  std::error_code ec;
  STRATA_CHECK(fs::exists(input, ec),
               input << ": no such file or folder; give a run folder or its metrics.jsonl");
  const std::string metrics_path =
      fs::is_directory(input, ec) ? (fs::path(input) / "metrics.jsonl").string() : input;
  STRATA_CHECK(fs::exists(metrics_path, ec),
               input << ": a folder without a metrics.jsonl; is it a run folder ('strata train "
                        "--run-dir')?");
  const std::vector<MetricsRecord> records = read_metrics(metrics_path);
  // No --metric: the loss curve's metrics ("loss", or a GAN's d_loss and g_loss).
  std::vector<std::string> metrics;
  if (flags.count("metric")) {
    metrics = split_commas(flags.at("metric"));
  } else {
    metrics = loss_metrics(records);
    if (metrics.empty()) metrics = {"loss"};  // for the error that lists what the file has
  }

  std::string out;
  if (flags.count("out")) {
    out = flags.at("out");
  } else {
    std::string stem;
    for (const std::string& m : metrics) stem += (stem.empty() ? "" : "_") + m;
    if (!flags.count("metric")) stem = "loss";
    out = (fs::path(metrics_path).parent_path() / (stem + ".png")).string();
  }

  LinePlot plot = metrics_plot(records, metrics, metrics_path);
  plot.log_y = log_y;
  plot.width = static_cast<int>(int_flag(flags, "width", 800, 100, kUsage));
  plot.height = static_cast<int>(int_flag(flags, "height", 500, 100, kUsage));
  if (log_y) plot.y_label += " (log scale)";
  write_line_plot(out, plot);
  size_t points = 0;
  for (const PlotSeries& s : plot.series) points += s.points.size();
  std::printf("wrote %s: %zu series, %zu points\n", out.c_str(), plot.series.size(), points);
  return 0;
}

}  // namespace strata::cli
