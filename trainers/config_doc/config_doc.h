// docs/configuration.md, generated from the parsers: `strata config-doc` parses a set of probe
// experiments (probes.cpp) that together take every branch of every parser, with a
// SchemaRecorder on (core/config/schema_recorder.h), so every key, its section, type and default
// come from the code that reads them. Only the meanings are written by hand (meanings.cpp); a key
// without a meaning, or a meaning of a key no parser reads, is a problem that fails the command
// and the test (tests/trainers/config_doc/), which also checks that the file in docs/ is current.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config/schema_recorder.h"

namespace strata {

// The hand-written part. key "" gives the section's introduction. variant "" applies to every
// variant. type and default_text fill in what a parser that reads its key by hand (YamlMap::find)
// cannot say; they may not contradict a recorded one.
struct KeyMeaning {
  const char* section;
  const char* key;
  const char* variant;
  const char* meaning;
  const char* type = nullptr;
  const char* default_text = nullptr;
};
const std::vector<KeyMeaning>& key_meanings();  // meanings.cpp

// A valid experiment file that the generator parses (never run).
struct SchemaProbe {
  const char* name;
  const char* yaml;
};
const std::vector<SchemaProbe>& schema_probes();  // probes.cpp

struct SchemaRow {
  std::string section, key;
  std::vector<std::string> variants;  // empty: every variant of the section
  std::string type, default_text, meaning;
};

struct Schema {
  std::vector<std::string> sections;  // in order of first use; "" is the top level
  std::vector<SchemaRow> rows;        // grouped by section, keys in order of first use
  std::vector<ScopeUse> scopes;       // where each shared section ("@model") is used
  // The trainer kinds (or outer variants) under which each section was read, for links.
  std::map<std::string, std::set<std::string>> section_contexts;
  std::vector<std::string> problems;  // undocumented keys, stale or contradicting meanings
};

// Parses every probe with a recorder and joins the records with the meanings. Throws naming the
// probe if one does not parse.
Schema collect_schema();

// The Markdown of docs/configuration.md.
std::string render_configuration_md(const Schema& schema);

}  // namespace strata
