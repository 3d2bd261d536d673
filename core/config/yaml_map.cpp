#include "core/config/yaml_map.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config/schema_recorder.h"
#include "core/error.h"
#include "core/strings.h"

namespace strata {

namespace {

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// A plain scalar: written without quotes and without an explicit tag.
bool is_plain(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() == "?";
}

// Decimal integer: optional sign, digits, no leading zeros (YAML 1.1 reads 010 as octal).
std::optional<int64_t> parse_int(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j)
    if (s[j] < '0' || s[j] > '9') return std::nullopt;
  if (s.size() - i > 1 && s[i] == '0') return std::nullopt;
  int64_t v = 0;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Decimal real: [sign] digits [. digits] [e [sign] digits], or [sign] . digits [...]. No inf/nan.
std::optional<double> parse_real(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  double v = 0;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

// ---- ranges ----

std::string IntRange::describe() const {
  constexpr int64_t lo = std::numeric_limits<int64_t>::min();
  constexpr int64_t hi = std::numeric_limits<int64_t>::max();
  if (max == hi) {
    if (min == lo) return "an integer";
    if (min == 1) return "a positive integer";
    if (min == 0) return "a non-negative integer";
    return "an integer >= " + std::to_string(min);
  }
  if (min == lo) return "an integer <= " + std::to_string(max);
  return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

std::string RealRange::describe() const {
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (!has_min && !has_max) return "a number";
  if (!has_max) return std::string("a number ") + (min_open ? "> " : ">= ") + num(min);
  if (!has_min) return std::string("a number ") + (max_open ? "< " : "<= ") + num(max);
  return "a number in " + std::string(min_open ? "(" : "[") + num(min) + ", " + num(max) +
         (max_open ? ")" : "]");
}

// ---- YamlValue ----

YamlValue::YamlValue(YAML::Node node, std::string file, std::string path, YAML::Mark mark)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)), mark_(mark) {}

std::string YamlValue::where() const {
  std::ostringstream os;
  os << (file_.empty() ? "<config>" : file_);
  if (!mark_.is_null()) os << ":" << line() << ":" << column();
  if (!path_.empty()) os << ": " << path_;
  return os.str();
}

void YamlValue::fail(const std::string& what) const {
  STRATA_THROW(where() << ": " << what);
}

std::string YamlValue::describe() const {
  if (!node_.IsDefined() || node_.IsNull()) return "an empty value";
  if (node_.IsSequence()) return "a list";
  if (node_.IsMap()) return "a map";
  std::string text = node_.Scalar();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  if (node_.Tag() == "!") return "the quoted string \"" + text + "\"";
  if (node_.Tag() != "?") return "'" + text + "' (tagged " + node_.Tag() + ")";
  return "'" + text + "'";
}

std::string YamlValue::expected_found(const std::string& expected) const {
  return "expected " + expected + ", found " + describe();
}

bool YamlValue::is_int() const {
  return is_plain(node_) && parse_int(node_.Scalar()).has_value();
}

int64_t YamlValue::as_int(IntRange range) const {
  std::optional<int64_t> v;
  if (is_plain(node_)) v = parse_int(node_.Scalar());
  if (!v || *v < range.min || *v > range.max) fail(expected_found(range.describe()));
  return *v;
}

double YamlValue::as_double(RealRange range) const {
  std::optional<double> v;
  if (is_plain(node_)) v = parse_real(node_.Scalar());
  const bool ok = v && (range.min_open ? *v > range.min : *v >= range.min) &&
                  (range.max_open ? *v < range.max : *v <= range.max);
  if (!ok) fail(expected_found(range.describe()));
  return *v;
}

float YamlValue::as_float(RealRange range) const {
  const double v = as_double(range);
  if (std::fabs(v) > std::numeric_limits<float>::max())
    fail(expected_found("a number that fits in a float"));
  return static_cast<float>(v);
}

bool YamlValue::as_bool() const {
  if (is_plain(node_) && node_.Scalar() == "true") return true;
  if (is_plain(node_) && node_.Scalar() == "false") return false;
  fail(expected_found("true or false"));
}

std::string YamlValue::as_string() const {
  if (!node_.IsScalar()) fail(expected_found("a string"));
  return node_.Scalar();
}

std::string YamlValue::as_choice(const std::vector<std::string>& choices) const {
  const std::string expected = "one of " + join(choices);
  if (!node_.IsScalar()) fail(expected_found(expected));
  const std::string& s = node_.Scalar();
  if (std::find(choices.begin(), choices.end(), s) != choices.end()) return s;
  const std::string near = closest_match(s, choices);
  fail(expected_found(expected) + (near.empty() ? "" : " — did you mean '" + near + "'?"));
}

std::vector<int64_t> YamlValue::as_int_list(IntRange range, size_t min_size,
                                            size_t max_size) const {
  std::string size_text;
  if (min_size == max_size)
    size_text = std::to_string(min_size) + " ";
  else if (max_size != SIZE_MAX)
    size_text = std::to_string(min_size) + " to " + std::to_string(max_size) + " ";
  const std::string expected =
      "a list of " + size_text + "integers (each " + range.describe() + ")";
  if (!node_.IsSequence()) fail(expected_found(expected));
  if (node_.size() < min_size || node_.size() > max_size)
    fail("expected " + expected + ", found a list of " + std::to_string(node_.size()));
  std::vector<int64_t> out;
  for (const YamlValue& item : as_list()) out.push_back(item.as_int(range));
  return out;
}

YamlMap YamlValue::as_map() const {
  return YamlMap(*this);
}

std::vector<YamlValue> YamlValue::as_list() const {
  if (!node_.IsSequence()) fail(expected_found("a list"));
  std::vector<YamlValue> items;
  for (size_t i = 0; i < node_.size(); ++i) {
    YAML::Node item = node_[i];
    const YAML::Mark m = item.IsNull() || item.Mark().is_null() ? mark_ : item.Mark();
    items.emplace_back(item, file_, path_ + "[" + std::to_string(i) + "]", m);
  }
  return items;
}

// ---- YamlMap ----

YamlMap::YamlMap(const YamlValue& value) : self_(value), state_(std::make_shared<State>()) {
  if (!value.is_map()) value.fail("expected a map of keys, found " + value.describe());
  const YAML::Node node = value.node();
  for (const auto& kv : node) {
    const YAML::Node k = kv.first;
    if (!k.IsScalar()) {
      YamlValue(k, file(), path(), k.Mark())
          .fail("expected a key (a plain string), found " +
                YamlValue(k, "", "", k.Mark()).describe());
    }
    for (const Entry& e : state_->entries) {
      if (e.key == k.Scalar()) {
        YamlValue(k, file(), child_path(path(), e.key), k.Mark())
            .fail("duplicate key '" + e.key + "' (first given at line " +
                  std::to_string(e.key_mark.line + 1) + ")");
      }
    }
    state_->entries.push_back({k.Scalar(), k.Mark(), kv.second, false});
  }
}

YAML::Node YamlMap::parse_document(const std::string& text, const std::string& file_name) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) STRATA_THROW(file_name << ": YAML syntax error: " << e.msg);
    STRATA_THROW(file_name << ":" << e.mark.line + 1 << ":" << e.mark.column + 1
                           << ": YAML syntax error: " << e.msg);
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].IsNull()))
    STRATA_THROW(file_name << ": the file is empty; expected a map of keys");
  if (docs.size() > 1)
    STRATA_THROW(file_name << ": holds " << docs.size()
                           << " YAML documents (separated by '---'); expected one");
  const YamlValue root(docs[0], file_name, "", docs[0].Mark());
  if (!root.is_map())
    root.fail("expected a map of keys at the top level, found " + root.describe());
  return docs[0];
}

YamlMap YamlMap::parse(const std::string& text, const std::string& file_name) {
  const YAML::Node root = parse_document(text, file_name);
  return YamlMap(YamlValue(root, file_name, "", root.Mark()));
}

YamlMap YamlMap::load(const std::string& path) {
  return parse(read_file(path), path);
}

std::string YamlMap::read_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec))
    STRATA_THROW(path << ": cannot read the config file: no such file (working directory "
                      << fs::current_path(ec).string() << "); check the path");
  if (fs::is_directory(path, ec))
    STRATA_THROW(path << ": cannot read the config file: it is a directory");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad())
    STRATA_THROW(path << ": cannot read the config file: " << std::strerror(errno));
  return text.str();
}

namespace {
// The shortest text that reads back as the same value (0.001f -> "0.001", not 0.0010000000475).
template <typename T>
std::string shortest(T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}
}  // namespace

void YamlMap::record_default(const std::string& key, const std::string& text) const {
  // Nodes share their data: this writes into the tree the file was parsed into, so emitting the
  // root afterwards shows every default that was used (the resolved config). finish() is not
  // affected: it checks the keys the file had.
  // Tagged "?" like a plain scalar the parser read, so that the tree can be read again (as_bool
  // and the number getters refuse quoted or programmatic strings) and emits without quotes.
  YAML::Node value(text);
  value.SetTag("?");
  YAML::Node node = self_.node();
  node[key] = value;
}

YamlMap::Entry* YamlMap::lookup(const std::string& key) const {
  if (std::find(state_->known.begin(), state_->known.end(), key) == state_->known.end())
    state_->known.push_back(key);
  for (Entry& e : state_->entries)
    if (e.key == key) return &e;
  return nullptr;
}

YamlValue YamlMap::value_of(const Entry& e) const {
  // A key without a value ("units:") has no useful mark of its own: point at the key.
  const YAML::Mark m = e.value.IsNull() || e.value.Mark().is_null() ? e.key_mark : e.value.Mark();
  return YamlValue(e.value, file(), child_path(path(), e.key), m);
}

std::string YamlMap::missing(const std::string& key, const std::string& expected) const {
  std::string msg = "missing required key '" + key + "'";
  if (!expected.empty()) msg += " (" + expected + ")";
  std::vector<std::string> unread;
  for (const Entry& e : state_->entries)
    if (!e.used) unread.push_back(e.key);
  const std::string near = closest_match(key, unread);
  if (!near.empty()) msg += "; found '" + near + "' — is it misspelt?";
  return msg;
}

bool YamlMap::has(const std::string& key) const {
  return lookup(key) != nullptr;
}

std::vector<std::string> YamlMap::keys() const {
  std::vector<std::string> out;
  for (const Entry& e : state_->entries) out.push_back(e.key);
  return out;
}

std::optional<YamlValue> YamlMap::take(const std::string& key) const {
  Entry* e = lookup(key);
  if (!e) return std::nullopt;
  e->used = true;
  return value_of(*e);
}

YamlValue YamlMap::require(const std::string& key, const std::string& expected) const {
  std::optional<YamlValue> v = take(key);
  if (!v) fail(missing(key, expected));
  return *v;
}

void YamlMap::note(const std::string& key, const std::string& type,
                   const std::string& default_text) const {
  if (SchemaRecorder* r = SchemaRecorder::active())
    r->record(path(), state_->variant, state_->own_variant, key, type, default_text);
}

void YamlMap::set_variant(const std::string& variant) const {
  state_->variant = variant;
  state_->own_variant = true;
}

YamlMap YamlMap::child(const YamlValue& value) const {
  YamlMap m = value.as_map();
  if (!m.state_->own_variant) m.state_->variant = state_->variant;
  return m;
}

namespace {
constexpr const char* kRequired = "(required)";
constexpr const char* kOptional = "(optional)";
// A `kind` or `type` choice names the variant of its map.
bool names_variant(const std::string& key) {
  return key == "kind" || key == "type";
}
}  // namespace

std::optional<YamlValue> YamlMap::find(const std::string& key) const {
  note(key, "", kOptional);
  return take(key);
}

YamlValue YamlMap::get(const std::string& key, const std::string& expected) const {
  note(key, expected, kRequired);
  return require(key, expected);
}

int64_t YamlMap::get_int(const std::string& key, IntRange range) const {
  note(key, range.describe(), kRequired);
  return require(key, range.describe()).as_int(range);
}
int64_t YamlMap::get_int_or(const std::string& key, int64_t fallback, IntRange range) const {
  note(key, range.describe(), std::to_string(fallback));
  auto v = take(key);
  if (!v) record_default(key, std::to_string(fallback));
  return v ? v->as_int(range) : fallback;
}
double YamlMap::get_double(const std::string& key, RealRange range) const {
  note(key, range.describe(), kRequired);
  return require(key, range.describe()).as_double(range);
}
double YamlMap::get_double_or(const std::string& key, double fallback, RealRange range) const {
  note(key, range.describe(), shortest(fallback));
  auto v = take(key);
  if (!v) record_default(key, shortest(fallback));
  return v ? v->as_double(range) : fallback;
}
float YamlMap::get_float(const std::string& key, RealRange range) const {
  note(key, range.describe(), kRequired);
  return require(key, range.describe()).as_float(range);
}
float YamlMap::get_float_or(const std::string& key, float fallback, RealRange range) const {
  note(key, range.describe(), shortest(fallback));
  auto v = take(key);
  if (!v) record_default(key, shortest(fallback));
  return v ? v->as_float(range) : fallback;
}
bool YamlMap::get_bool(const std::string& key) const {
  note(key, "true or false", kRequired);
  return require(key, "true or false").as_bool();
}
bool YamlMap::get_bool_or(const std::string& key, bool fallback) const {
  note(key, "true or false", fallback ? "true" : "false");
  auto v = take(key);
  if (!v) record_default(key, fallback ? "true" : "false");
  return v ? v->as_bool() : fallback;
}
std::string YamlMap::get_string(const std::string& key) const {
  note(key, "a string", kRequired);
  return require(key, "a string").as_string();
}
std::string YamlMap::get_string_or(const std::string& key, const std::string& fallback) const {
  note(key, "a string", fallback.empty() ? "\"\"" : fallback);
  auto v = take(key);
  if (!v) record_default(key, fallback);
  return v ? v->as_string() : fallback;
}
std::string YamlMap::get_choice(const std::string& key,
                                const std::vector<std::string>& choices) const {
  const std::string expected = "one of " + join(choices);
  note(key, expected, kRequired);
  const std::string c = require(key, expected).as_choice(choices);
  if (names_variant(key)) set_variant(c);
  return c;
}
std::string YamlMap::get_choice_or(const std::string& key, const std::vector<std::string>& choices,
                                   const std::string& fallback) const {
  note(key, "one of " + join(choices), fallback);
  auto v = take(key);
  if (!v) record_default(key, fallback);
  const std::string c = v ? v->as_choice(choices) : fallback;
  if (names_variant(key)) set_variant(c);
  return c;
}
std::vector<int64_t> YamlMap::get_int_list(const std::string& key, IntRange range, size_t min_size,
                                           size_t max_size) const {
  note(key, "a list of integers", kRequired);
  return require(key, "a list of integers").as_int_list(range, min_size, max_size);
}
YamlMap YamlMap::get_map(const std::string& key) const {
  note(key, "a map", kRequired);
  return child(require(key, "a map"));
}
std::optional<YamlMap> YamlMap::find_map(const std::string& key) const {
  note(key, "a map", kOptional);
  auto v = take(key);
  if (!v) return std::nullopt;
  return child(*v);
}
std::vector<YamlValue> YamlMap::get_list(const std::string& key) const {
  note(key, "a list", kRequired);
  return require(key, "a list").as_list();
}

void YamlMap::finish() const {
  for (const Entry& e : state_->entries) {
    if (e.used) continue;
    const YamlValue at(e.value, file(), child_path(path(), e.key), e.key_mark);
    const auto& known = state_->known;
    if (std::find(known.begin(), known.end(), e.key) != known.end())
      at.fail("key '" + e.key + "' is not used here");
    const std::string near = closest_match(e.key, known);
    if (!near.empty()) at.fail("unknown key '" + e.key + "' — did you mean '" + near + "'?");
    if (known.empty()) at.fail("unknown key '" + e.key + "'; no keys are expected here");
    at.fail("unknown key '" + e.key + "'; the keys here are: " + join(known));
  }
}

// ---- suggestions ----

int edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 0;
  for (const std::string& c : candidates) {
    const int d = edit_distance(word, c);
    const int len = static_cast<int>(std::max(word.size(), c.size()));
    const int limit = std::max(1, std::min(3, (len + 2) / 4));
    if (d <= limit && d < len && (best.empty() || d < best_d)) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

}  // namespace strata
