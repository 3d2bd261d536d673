// metrics.jsonl writer: each record is formatted into one string, written with one fwrite and
// flushed, so a killed run leaves whole lines only (except, at worst, the very last one).
// Numbers are formatted with std::to_chars (locale-independent: never a decimal comma).
#include "trainers/run/metrics_log.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "trainers/run/event_log.h"

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

// A run killed in the middle of a write can leave a last line without its newline. A resumed run
// appends after it, so that partial record (never complete, and logged again by the resumed run)
// is cut off first: the file stays whole JSON lines.
void drop_partial_last_line(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size == 0) return;
  std::ifstream in(path, std::ios::binary);
  std::uintmax_t keep = size;
  char c = 0;
  for (std::uintmax_t pos = size; pos > 0; --pos) {  // back to the last newline
    in.seekg(static_cast<std::streamoff>(pos - 1));
    if (!in.get(c)) return;
    if (c == '\n') break;
    keep = pos - 1;
  }
  if (keep == size) return;
  in.close();
  fs::resize_file(path, keep, ec);
  STRATA_CHECK(!ec, path << ": cannot cut the half-written last line of the metrics log ("
                         << ec.message() << ")");
  std::fprintf(stderr, "strata: %s: dropped a half-written last line (%ju bytes)\n", path.c_str(),
               size - keep);
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path) : path_(path) {
  drop_partial_last_line(path);
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
  if (events_ != nullptr) events_->scalars(step, phase, values);
}

}  // namespace strata
