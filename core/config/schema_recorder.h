// Recording the config schema: which keys the parsers read, in which section, with what type and
// default. Off by default (one thread-local pointer test per key); `strata config-doc` turns it
// on while it parses a set of probe experiments and renders docs/configuration.md from the
// records, so the reference is generated from the parsers themselves and cannot drift.
//
//   SchemaRecorder rec;                 // records on this thread until destroyed
//   parse_experiment(text, "probe");    // every YamlMap getter reports its key
//   for (const KeyUse& u : rec.uses()) ...
//
// Sections are key paths with list indices dropped ("trainer.pretrain.stages[]"). A section that
// several places share (a model, an optimizer) is parsed inside a SchemaScope and recorded under
// the scope's name ("@model.layers[]"), with each place it was entered from in scopes(). A
// variant is the value of a map's `kind` or `type` key (a layer type, an optimizer kind), else
// the context set by the caller (the trainer kind) for the keys read after it.
#pragma once

#include <string>
#include <vector>

namespace strata {

class YamlMap;

struct KeyUse {
  std::string section;  // "" (top level), "trainer", "@model.layers[]" ...
  std::string variant;  // "gan", "dense", or ""
  std::string key;
  std::string type;          // "a positive integer", "one of a, b", "a map"; "" when parsed by hand
  std::string default_text;  // the default, "(required)" or "(optional)"
  bool own_variant = false;  // the variant is the map's own kind or type (not inherited)
};

struct ScopeUse {
  std::string name;     // "@model"
  std::string at;       // where it was entered: "models.generator", "trainer.pretrain.stages[]"
  std::string variant;  // the variant there, e.g. "gan"
};

class SchemaRecorder {
 public:
  SchemaRecorder();  // records this thread's parsing until destroyed (one at a time)
  ~SchemaRecorder();
  SchemaRecorder(const SchemaRecorder&) = delete;
  SchemaRecorder& operator=(const SchemaRecorder&) = delete;

  // The recorder of this thread, or nullptr.
  static SchemaRecorder* active();
  // The variant of every key read from now on outside a scope (e.g. the trainer kind), until
  // the next call; a no-op when nothing records.
  static void set_context(const std::string& variant);

  const std::vector<KeyUse>& uses() const { return uses_; }
  const std::vector<ScopeUse>& scopes() const { return scopes_; }

  // Called by YamlMap: a key of the map at `map_path` (whose own variant is `map_variant`).
  void record(const std::string& map_path, const std::string& map_variant, bool own_variant,
              const std::string& key, const std::string& type, const std::string& default_text);

 private:
  friend class SchemaScope;
  friend class SchemaDefaultNote;
  struct Frame {
    std::string prefix;   // the scope map's path
    std::string name;     // "@model"; "" for the root frame
    std::string context;  // set_context's variant
  };
  // The section name of a map path, and the frame it falls in.
  const Frame& frame_of(const std::string& map_path) const;
  std::string section_of(const std::string& map_path) const;

  std::vector<Frame> frames_;
  std::vector<KeyUse> uses_;
  std::vector<ScopeUse> scopes_;
  std::string default_note_;  // SchemaDefaultNote's text, or ""
};

// Parses the section `map` as the shared schema `name` ("@model", "@optimizer") while it lives.
class SchemaScope {
 public:
  SchemaScope(const YamlMap& map, const std::string& name);
  ~SchemaScope();
  SchemaScope(const SchemaScope&) = delete;
  SchemaScope& operator=(const SchemaScope&) = delete;

 private:
  SchemaRecorder* rec_;
};

// While it lives, the defaults recorded on this thread are shown as `text` (a default that is
// another key's value, e.g. "as in trainer.pretrain"), not as the value the probe gave.
class SchemaDefaultNote {
 public:
  explicit SchemaDefaultNote(const std::string& text);
  ~SchemaDefaultNote();
  SchemaDefaultNote(const SchemaDefaultNote&) = delete;
  SchemaDefaultNote& operator=(const SchemaDefaultNote&) = delete;

 private:
  SchemaRecorder* rec_;
  std::string previous_;
};

// "model.layers[3].units" -> "model.layers[].units".
std::string drop_indices(const std::string& path);

}  // namespace strata
