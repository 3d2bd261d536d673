// Charts of a run's metrics.jsonl: one series per phase (and per metric when several are drawn)
// against the step. `strata plot` draws any metric; the training loop keeps the run folder's
// loss.png up to date with write_loss_curve.
#pragma once

#include <string>
#include <vector>

#include "trainers/plot/line_plot.h"
#include "trainers/plot/metrics_read.h"

namespace strata {

// The metrics a loss curve shows: "loss" when the records have it, otherwise every metric whose
// name ends in "loss" (a GAN's d_loss and g_loss); empty when there is none.
std::vector<std::string> loss_metrics(const std::vector<MetricsRecord>& records);

// The chart of `metrics` (at least one) in the records: a series per phase, in order of first
// appearance, named after the phase, "phase: metric" when several metrics and phases are drawn
// and after the metric alone when several metrics come from one phase. Records without a metric
// are skipped. Throws naming `source` and the metrics it has when no record has any of them.
// The title is the metrics and the run folder's name; x is the step.
LinePlot metrics_plot(const std::vector<MetricsRecord>& records,
                      const std::vector<std::string>& metrics, const std::string& source);

// Draws loss.png in run_dir from run_dir/metrics.jsonl. Returns false (writing nothing) when the
// file has no loss yet; throws when it cannot be read or the picture cannot be written.
bool write_loss_curve(const std::string& run_dir);
// The same for the training loop: a failure is a warning on stderr, never the end of a run.
void update_loss_curve(const std::string& run_dir);

}  // namespace strata
