// A small parser for flat JSON objects, one per line, and the records of metrics.jsonl from it.
#include "trainers/plot/metrics_read.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.h"

namespace strata {

namespace {

enum class Kind { kString, kNumber, kNull, kBool };

struct Value {
  Kind kind = Kind::kNull;
  std::string text;  // kString
  double number = 0;
  bool flag = false;
};

// Thrown by the line parser; the caller adds FILE:LINE (or skips a half-written last line).
struct ParseError {
  std::string what;
  size_t column = 0;
};

class LineParser {
 public:
  explicit LineParser(const std::string& s) : s_(s) {}

  std::vector<std::pair<std::string, Value>> object() {
    std::vector<std::pair<std::string, Value>> fields;
    space();
    expect('{', "a line starts with '{' (one JSON object per line)");
    space();
    if (peek() == '}') {
      ++i_;
    } else {
      for (;;) {
        space();
        if (peek() != '"') fail("expected a key in double quotes");
        const size_t key_at = i_;
        std::string key = string();
        for (const auto& f : fields)
          if (f.first == key) {
            i_ = key_at;
            fail("the key \"" + key + "\" appears twice");
          }
        space();
        expect(':', "expected ':' after the key \"" + key + "\"");
        space();
        fields.emplace_back(std::move(key), value());
        space();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect('}', "expected ',' or '}' after a value");
        break;
      }
    }
    space();
    if (i_ < s_.size()) fail("unexpected text after the object");
    return fields;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  [[noreturn]] void fail(const std::string& what) const { throw ParseError{what, i_ + 1}; }
  void expect(char c, const std::string& what) {
    if (peek() != c) fail(i_ >= s_.size() ? what + " (the line ends early)" : what);
    ++i_;
  }
  bool word(const char* w) {
    const size_t n = std::char_traits<char>::length(w);
    if (s_.compare(i_, n, w) != 0) return false;
    i_ += n;
    return true;
  }

  Value value() {
    Value v;
    const char c = peek();
    if (c == '"') {
      v.kind = Kind::kString;
      v.text = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Kind::kNumber;
      v.number = number();
    } else if (word("null")) {
      v.kind = Kind::kNull;
    } else if (word("true") || word("false")) {
      v.kind = Kind::kBool;
      v.flag = s_[i_ - 1] == 'e' && s_[i_ - 2] == 'u';
    } else if (c == '{' || c == '[') {
      fail("nested objects and arrays are not supported (metrics.jsonl lines are flat)");
    } else {
      fail(i_ >= s_.size() ? "expected a value (the line ends early)"
                           : "expected a value: a string, a number, null, true or false");
    }
    return v;
  }

  double number() {  // JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    const size_t start = i_;
    auto digits = [&] {
      const size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == d) fail("a number needs digits here");
    };
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else {
      digits();
    }
    if (peek() == '.') {
      ++i_;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      digits();
    }
    return std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
  }

  std::string string() {
    ++i_;  // the opening quote
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("a string is not closed (the line ends early)");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("a control character inside a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("a string is not closed (the line ends early)");
      const char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          if (i_ + 4 > s_.size()) fail("\\u needs four hex digits");
          unsigned cp = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            cp <<= 4;
            if (h >= '0' && h <= '9')
              cp |= h - '0';
            else if (h >= 'a' && h <= 'f')
              cp |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F')
              cp |= h - 'A' + 10;
            else
              fail("\\u needs four hex digits");
          }
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {  // surrogate halves are kept as they are (names are ASCII in practice)
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          fail(std::string("an unknown escape '\\") + e + "' in a string");
      }
    }
  }

  const std::string& s_;
  size_t i_ = 0;
};

MetricsRecord to_record(std::vector<std::pair<std::string, Value>> fields) {
  MetricsRecord r;
  bool have_step = false;
  for (auto& [key, v] : fields) {
    if (key == "step" || key == "epoch") {
      if (v.kind != Kind::kNumber || v.number != std::floor(v.number) || std::fabs(v.number) > 9e15)
        throw ParseError{"\"" + key + "\" must be an integer", 0};
      (key == "step" ? r.step : r.epoch) = static_cast<int64_t>(v.number);
      have_step = have_step || key == "step";
    } else if (key == "phase") {
      if (v.kind != Kind::kString) throw ParseError{"\"phase\" must be a string", 0};
      r.phase = v.text;
    } else if (v.kind == Kind::kString) {
      r.strings.emplace_back(key, std::move(v.text));
    } else {
      const double x = v.kind == Kind::kNumber ? v.number
                       : v.kind == Kind::kBool ? (v.flag ? 1.0 : 0.0)
                                               : std::numeric_limits<double>::quiet_NaN();
      r.values.emplace_back(key, x);
    }
  }
  if (!have_step) throw ParseError{"no \"step\" (every record of metrics.jsonl has one)", 0};
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
      MetricsRecord r = to_record(LineParser(line).object());
      r.line = line_no;
      records.push_back(std::move(r));
    } catch (const ParseError& e) {
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
