// metrics.jsonl: one JSON object per line, appended and flushed per record, so a run that is
// killed keeps every line written before. Rank 0 only. Each record's values also go to the run's
// TensorBoard events file when one is attached (event_log.h), so both hold the same scalars.
//
//   {"step": 120, "epoch": 1, "phase": "pretrain_1", "loss": 0.0312, "lr": 0.01,
//    "samples_per_s": 40960.2, "data_wait_ms": 0.05}
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace strata {

class EventLog;

class MetricsLog {
 public:
  // Opens path for appending (a resumed run continues the same file). Throws naming the path.
  explicit MetricsLog(const std::string& path);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // step, epoch (1-based as printed), phase, then the named values in order. Non-finite values
  // are written as null (JSON has no NaN).
  void write(int64_t step, int64_t epoch, const std::string& phase,
             const std::vector<std::pair<std::string, double>>& values);
  // From now on every record's values are also written to events (nullptr: no longer).
  void also_to(EventLog* events) { events_ = events; }

 private:
  EventLog* events_ = nullptr;
  std::FILE* f_ = nullptr;
  std::string path_;
};

}  // namespace strata
