// Reads a run's metrics.jsonl (metrics_log.h): one flat JSON object per line, with "step",
// "epoch", "phase" and named numbers (null for a non-finite value). Lines are parsed by
// nlohmann-json and must be flat objects with unique keys: strings, numbers, null, true and
// false, no nested objects or arrays.
//
// A last line that does not end in a newline and does not parse is the half-written record of a
// run killed mid-write: it is skipped. Any other malformed line is an error naming FILE:LINE.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata {

struct MetricsRecord {
  int64_t line = 0;    // 1-based, in the file
  int64_t step = 0;    // required
  int64_t epoch = -1;  // -1 when absent
  std::string phase;   // "" when absent
  // Every other number in file order: null -> NaN, true -> 1, false -> 0.
  std::vector<std::pair<std::string, double>> values;
  // Every other string.
  std::vector<std::pair<std::string, std::string>> strings;

  bool has(const std::string& name) const;
  double value(const std::string& name) const;  // NaN when absent
};

// The records of the file at path. Throws naming the path (and line) when it cannot be read or a
// line is malformed.
std::vector<MetricsRecord> read_metrics(const std::string& path);
// The same from text; `source` names it in errors.
std::vector<MetricsRecord> parse_metrics(const std::string& text, const std::string& source);

// The names of the numbers in the records, in order of first appearance.
std::vector<std::string> metric_names(const std::vector<MetricsRecord>& records);

}  // namespace strata
