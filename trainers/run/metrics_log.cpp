// metrics.jsonl writer: each record is formatted into one string, written with one fwrite and
// flushed, so a killed run leaves whole lines only (except, at worst, the very last one).
// Numbers are formatted with std::to_chars (locale-independent: never a decimal comma).
#include "trainers/run/metrics_log.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace strata {

namespace {

// A JSON string literal.
void append_string(std::string& out, const std::string& s) {
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);  // UTF-8 passes through unchanged
        }
    }
  }
  out.push_back('"');
}

// A JSON number: integers exactly, other values with 8 significant digits (more than a float's
// 7.2), non-finite values as null.
void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  std::to_chars_result r;
  if (v == std::trunc(v) && std::fabs(v) < 1e15)
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(v));
  else
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 8);
  out.append(buf, r.ptr);
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path) : path_(path) {
  f_ = std::fopen(path.c_str(), "a");
  STRATA_CHECK(f_ != nullptr, path << ": cannot open the metrics log for appending ("
                                   << std::strerror(errno)
                                   << "); check that the run folder exists and is writable");
}

MetricsLog::~MetricsLog() {
  if (f_) std::fclose(f_);
}

void MetricsLog::write(int64_t step, int64_t epoch, const std::string& phase,
                       const std::vector<std::pair<std::string, double>>& values) {
  std::string line = "{\"step\": " + std::to_string(step) +
                     ", \"epoch\": " + std::to_string(epoch) + ", \"phase\": ";
  append_string(line, phase);
  for (const auto& [name, value] : values) {
    line += ", ";
    append_string(line, name);
    line += ": ";
    append_number(line, value);
  }
  line += "}\n";
  const bool ok = std::fwrite(line.data(), 1, line.size(), f_) == line.size();
  STRATA_CHECK(ok && std::fflush(f_) == 0, path_ << ": writing the metrics log failed ("
                                                 << std::strerror(errno)
                                                 << "); check free disk space");
}

}  // namespace strata
