// The records of metrics.jsonl: each line parsed by nlohmann-json, then checked to be flat.
#include "trainers/plot/metrics_read.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace strata {

namespace {

using Json = nlohmann::ordered_json;

// A line's fault; the caller adds FILE:LINE (or skips a half-written last line).
struct LineError {
  std::string what;
  size_t column = 0;  // 0: the whole line
};

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1,
// column 7: " prefix (the caller names file, line and column itself).
std::string parse_message(const Json::parse_error& e) {
  std::string what = e.what();
  const size_t colon = what.find(": ");
  if (colon != std::string::npos) what = what.substr(colon + 2);
  return what;
}

// The line as one JSON object whose keys are unique (nlohmann would keep the last of two).
Json parse_object(const std::string& line) {
  std::vector<std::string> keys;
  const Json::parser_callback_t unique_keys = [&](int depth, Json::parse_event_t event,
                                                  Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      const std::string key = parsed.get<std::string>();
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        throw LineError{"the key \"" + key + "\" appears twice", 0};
      keys.push_back(key);
    }
    return true;
  };
  Json j;
  try {
    j = Json::parse(line, unique_keys);
  } catch (const Json::parse_error& e) {
    throw LineError{parse_message(e), e.byte};
  }
  if (!j.is_object()) throw LineError{"a line is one JSON object, '{' ... '}'", 1};
  return j;
}

int64_t integer_field(const std::string& key, const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  const double x = v.is_number_float() ? v.get<double>() : 0.5;
  if (x != std::floor(x) || std::fabs(x) > 9e15)
    throw LineError{"\"" + key + "\" must be an integer", 0};
  return static_cast<int64_t>(x);
}

MetricsRecord to_record(const Json& object) {
  MetricsRecord r;
  bool have_step = false;
  for (const auto& [key, v] : object.items()) {
    if (v.is_object() || v.is_array())
      throw LineError{"\"" + key +
                          "\" holds an object or array; nested values are not supported "
                          "(metrics.jsonl lines are flat)",
                      0};
    if (key == "step" || key == "epoch") {
      (key == "step" ? r.step : r.epoch) = integer_field(key, v);
      have_step = have_step || key == "step";
    } else if (key == "phase") {
      if (!v.is_string()) throw LineError{"\"phase\" must be a string", 0};
      r.phase = v.get<std::string>();
    } else if (v.is_string()) {
      r.strings.emplace_back(key, v.get<std::string>());
    } else {
      const double x = v.is_number()    ? v.get<double>()
                       : v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0)
                                        : std::numeric_limits<double>::quiet_NaN();
      r.values.emplace_back(key, x);
    }
  }
  if (!have_step) throw LineError{"no \"step\" (every record of metrics.jsonl has one)", 0};
  return r;
}

}  // namespace

bool MetricsRecord::has(const std::string& name) const {
  return std::any_of(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
}

double MetricsRecord::value(const std::string& name) const {
  for (const auto& v : values)
    if (v.first == name) return v.second;
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<MetricsRecord> parse_metrics(const std::string& text, const std::string& source) {
  std::vector<MetricsRecord> records;
  size_t start = 0;
  int64_t line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    const bool complete = end != std::string::npos;
    if (!complete) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      MetricsRecord r = to_record(parse_object(line));
      r.line = line_no;
      records.push_back(std::move(r));
    } catch (const LineError& e) {
      if (!complete) break;  // a half-written last line: the run was killed mid-write
      std::ostringstream where;
      where << source << ":" << line_no;
      if (e.column > 0) where << ":" << e.column;
      STRATA_THROW(where.str() << ": " << e.what
                               << "; each line of a metrics file is one flat JSON object "
                                  "(fix or delete the line)");
    }
  }
  return records;
}

std::vector<MetricsRecord> read_metrics(const std::string& path) {
  std::error_code ec;
  STRATA_CHECK(!std::filesystem::is_directory(path, ec),
               path << ": a folder, not a metrics file; give the path of a metrics.jsonl");
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in.good(), path << ": cannot open the metrics file; give a run folder or the path "
                                  "of its metrics.jsonl");
  std::ostringstream os;
  os << in.rdbuf();
  STRATA_CHECK(!in.bad(), path << ": cannot read the metrics file");
  return parse_metrics(os.str(), path);
}

std::vector<std::string> metric_names(const std::vector<MetricsRecord>& records) {
  std::vector<std::string> names;
  for (const MetricsRecord& r : records)
    for (const auto& v : r.values)
      if (std::find(names.begin(), names.end(), v.first) == names.end()) names.push_back(v.first);
  return names;
}

}  // namespace strata
