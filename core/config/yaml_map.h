// Strict reading of YAML configs. Every config section of Strata is read through a YamlMap:
// typed getters (each marks its key as read), then finish(), which rejects any key that nobody
// read ("unknown key 'unit' — did you mean 'units'?"). Wrong types are errors, not conversions:
// a quoted "5" or a 1.5 is not an integer, yes/no is not a boolean, a list is not a scalar.
//
// Every error is a strata::Error whose message starts with "FILE:LINE:COL: KEY.PATH: " (1-based,
// from the parser's marks) and then says what was expected and what was found, e.g.
//   configs/ae.yaml:7:14: model.layers[2].units: expected a positive integer, found 'abc'
//
// Usage:
//   YamlMap root = YamlMap::load("configs/run.yaml");
//   YamlMap model = root.get_map("model");
//   int64_t units = model.get_int("units", IntRange::positive());
//   bool bias = model.get_bool_or("bias", true);
//   model.finish();
//
// A YamlMap and its copies share one record of which keys were read, so a copy may be read from
// and the original finished. finish() checks only that map's own keys: whoever reads a sub-map
// finishes it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata {

class YamlMap;

// Accepted integers, inclusive.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  static IntRange positive() { return {1}; }
  static IntRange non_negative() { return {0}; }
  std::string describe() const;  // "a positive integer", "an integer in [0, 3]"...
};

// Accepted numbers; each bound inclusive unless marked open.
struct RealRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  static RealRange positive() { return {0.0, std::numeric_limits<double>::infinity(), true}; }
  static RealRange non_negative() { return {0.0}; }
  std::string describe() const;  // "a number", "a number > 0", "a number in [0, 1)"...
};

// One node of a config file, with the file, its key path and its position, for error messages.
class YamlValue {
 public:
  YamlValue(YAML::Node node, std::string file, std::string path, YAML::Mark mark);

  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  int line() const { return mark_.is_null() ? 0 : mark_.line + 1; }  // 1-based; 0 if unknown
  int column() const { return mark_.is_null() ? 0 : mark_.column + 1; }
  // "FILE:LINE:COL: PATH", the prefix of every error about this value.
  std::string where() const;
  // Throws a strata::Error "where(): what".
  [[noreturn]] void fail(const std::string& what) const;
  // What the value is, for "found ...": 'abc', the quoted string "5", a list, a map, nothing.
  std::string describe() const;

  bool is_null() const { return node_.IsNull(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_list() const { return node_.IsSequence(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_int() const;  // a plain (unquoted) integer scalar

  int64_t as_int(IntRange range = {}) const;
  double as_double(RealRange range = {}) const;
  float as_float(RealRange range = {}) const;
  bool as_bool() const;  // true or false only
  std::string as_string() const;
  // One of `choices`; the error lists them.
  std::string as_choice(const std::vector<std::string>& choices) const;
  // A list of integers; `min_size`/`max_size` bound its length.
  std::vector<int64_t> as_int_list(IntRange range = {}, size_t min_size = 0,
                                   size_t max_size = SIZE_MAX) const;
  YamlMap as_map() const;
  // The items of a list, each with its path "path[i]".
  std::vector<YamlValue> as_list() const;

 private:
  std::string expected_found(const std::string& expected) const;

  YAML::Node node_;
  std::string file_, path_;
  YAML::Mark mark_;
};

class YamlMap {
 public:
  // `value` must be a map (throws otherwise); duplicate and non-scalar keys are rejected.
  explicit YamlMap(const YamlValue& value);

  // Reads and parses a file whose top level is a map. A missing or unreadable file, a YAML syntax
  // error (with its line), an empty file or several documents are errors naming the file.
  static YamlMap load(const std::string& path);
  // The same for text in memory; `file_name` is used in messages.
  static YamlMap parse(const std::string& text, const std::string& file_name);
  // The text of a config file; a missing file, a folder or a read error throws naming the path.
  static std::string read_file(const std::string& path);
  // The checked tree of parse() before it is wrapped (to change it first: --set overrides).
  static YAML::Node parse_document(const std::string& text, const std::string& file_name);

  const std::string& file() const { return self_.file(); }
  const std::string& path() const { return self_.path(); }
  const YamlValue& value() const { return self_; }
  std::string where() const { return self_.where(); }
  [[noreturn]] void fail(const std::string& what) const { self_.fail(what); }

  // Whether the key is present; makes it a known key (for finish()'s suggestions) but does not
  // mark it read.
  bool has(const std::string& key) const;
  std::vector<std::string> keys() const;  // in file order

  // The get_*_or getters write the fallback they return into the parsed YAML tree when the key
  // is absent, so that emitting the root (YAML::Emitter << value().node()) gives the resolved
  // configuration, defaults included (what `strata train` prints and saves as config.yaml).

  // The value of `key`, marked read; nullopt when absent.
  std::optional<YamlValue> find(const std::string& key) const;
  // The value of a required key; when absent throws "missing required key 'KEY' (EXPECTED)" at
  // this map's position.
  YamlValue get(const std::string& key, const std::string& expected = "") const;

  int64_t get_int(const std::string& key, IntRange range = {}) const;
  int64_t get_int_or(const std::string& key, int64_t fallback, IntRange range = {}) const;
  double get_double(const std::string& key, RealRange range = {}) const;
  double get_double_or(const std::string& key, double fallback, RealRange range = {}) const;
  float get_float(const std::string& key, RealRange range = {}) const;
  float get_float_or(const std::string& key, float fallback, RealRange range = {}) const;
  bool get_bool(const std::string& key) const;
  bool get_bool_or(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  std::string get_string_or(const std::string& key, const std::string& fallback) const;
  std::string get_choice(const std::string& key, const std::vector<std::string>& choices) const;
  std::string get_choice_or(const std::string& key, const std::vector<std::string>& choices,
                            const std::string& fallback) const;
  std::vector<int64_t> get_int_list(const std::string& key, IntRange range = {},
                                    size_t min_size = 0, size_t max_size = SIZE_MAX) const;
  YamlMap get_map(const std::string& key) const;
  std::optional<YamlMap> find_map(const std::string& key) const;
  std::vector<YamlValue> get_list(const std::string& key) const;

  // Throws for the first key (in file order) that no getter read: "unknown key 'unit' — did you
  // mean 'units'?" when a known key is close, else the list of known keys.
  void finish() const;

  // The variant of this map for the schema recorder (core/config/schema_recorder.h): the value of
  // its `kind` or `type` key once get_choice read it, or set_variant's; else its parent's (for a
  // map from get_map or find_map). Copies share it.
  const std::string& variant() const { return state_->variant; }
  void set_variant(const std::string& variant) const;

 private:
  struct Entry {
    std::string key;
    YAML::Mark key_mark;
    YAML::Node value;
    bool used = false;
  };
  struct State {
    std::vector<Entry> entries;
    std::vector<std::string> known;  // every key asked for, in order
    std::string variant;             // see variant()
    bool own_variant = false;        // set here, not inherited
  };
  Entry* lookup(const std::string& key) const;  // records the key as known
  // The value of `key`, marked read (find and get without telling the schema recorder).
  std::optional<YamlValue> take(const std::string& key) const;
  YamlValue require(const std::string& key, const std::string& expected) const;
  // Tells the schema recorder, if one records, that `key` is read with this type and default.
  void note(const std::string& key, const std::string& type, const std::string& default_text) const;
  // A sub-map, which inherits this map's variant.
  YamlMap child(const YamlValue& value) const;
  // Writes a default that a get_*_or used into the YAML tree (see resolved configs).
  void record_default(const std::string& key, const std::string& text) const;
  YamlValue value_of(const Entry& e) const;
  std::string missing(const std::string& key, const std::string& expected) const;

  YamlValue self_;
  std::shared_ptr<State> state_;
};

// Levenshtein distance with adjacent transpositions (for "did you mean").
int edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `word` when it is close enough to be a likely typo, else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace strata
