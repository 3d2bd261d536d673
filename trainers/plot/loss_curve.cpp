#include "trainers/plot/loss_curve.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"

namespace strata {

namespace {

namespace fs = std::filesystem;

// The run folder's name for the title: the folder of the metrics file.
std::string run_name(const std::string& source) {
  const fs::path p(source);
  const fs::path dir = p.filename() == "metrics.jsonl" ? p.parent_path() : p;
  std::string name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  return name;
}

}  // namespace

std::vector<std::string> loss_metrics(const std::vector<MetricsRecord>& records) {
  const std::vector<std::string> names = metric_names(records);
  if (std::find(names.begin(), names.end(), "loss") != names.end()) return {"loss"};
  std::vector<std::string> out;
  for (const std::string& n : names)
    if (n.ends_with("loss")) out.push_back(n);
  return out;
}

LinePlot metrics_plot(const std::vector<MetricsRecord>& records,
                      const std::vector<std::string>& metrics, const std::string& source) {
  STRATA_CHECK(!metrics.empty(), source << ": no metric to draw; name one with --metric");
  std::vector<std::string> phases;
  for (const MetricsRecord& r : records)
    if (std::find(phases.begin(), phases.end(), r.phase) == phases.end()) phases.push_back(r.phase);
  LinePlot plot;
  for (const std::string& phase : phases)
    for (const std::string& m : metrics) {
      PlotSeries s;
      for (const MetricsRecord& r : records)
        if (r.phase == phase && r.has(m))
          s.points.emplace_back(static_cast<double>(r.step), r.value(m));
      if (s.points.empty()) continue;
      // A resumed run logs again the steps after its checkpoint: keep the last record of each
      // step (stable sort by step, then the last of equal steps), so the line never runs back.
      std::stable_sort(s.points.begin(), s.points.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<std::pair<double, double>> last;
      for (const auto& p : s.points) {
        if (!last.empty() && last.back().first == p.first)
          last.back() = p;
        else
          last.push_back(p);
      }
      s.points.assign(last.begin(), last.end());
      const std::string phase_name = phase.empty() ? "(no phase)" : phase;
      s.name = metrics.size() == 1 ? phase_name : phases.size() == 1 ? m : phase_name + ": " + m;
      plot.series.push_back(std::move(s));
    }
  if (plot.series.empty()) {
    const std::vector<std::string> have = metric_names(records);
    STRATA_THROW(source << ": no record has " << (metrics.size() == 1 ? "the metric " : "any of ")
                        << join(metrics, ", ") << "; "
                        << (have.empty() ? std::string("the file has no metrics")
                                         : "the file has: " + join(have, ", "))
                        << " (choose with --metric)");
  }
  plot.title = join(metrics, ", ") + " - " + run_name(source);
  plot.x_label = "step";
  plot.y_label = join(metrics, ", ");
  return plot;
}

bool write_loss_curve(const std::string& run_dir) {
  const std::string source = (fs::path(run_dir) / "metrics.jsonl").string();
  const std::vector<MetricsRecord> records = read_metrics(source);
  const std::vector<std::string> metrics = loss_metrics(records);
  if (metrics.empty()) return false;
  write_line_plot((fs::path(run_dir) / "loss.png").string(),
                  metrics_plot(records, metrics, source));
  return true;
}

void update_loss_curve(const std::string& run_dir) {
  try {
    write_loss_curve(run_dir);
  } catch (const Error& e) {
    std::fprintf(stderr, "strata: warning: loss.png not updated: %s\n", e.message().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strata: warning: loss.png not updated: %s\n", e.what());
  }
}

}  // namespace strata
