// Which keys two YAML documents disagree on: each document is flattened to dotted keys
// ("trainer.epochs", list entries by index: "model.layers.1.units") with their scalar values.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace strata {

// The document's scalars by dotted key; an empty map or list is kept as the key with "{}"/"[]".
// Throws strata::Error when `text` is not YAML.
std::map<std::string, std::string> flatten_yaml(const std::string& text);

struct YamlDifference {
  std::string key;
  std::string a, b;  // the values ("(absent)" where a document lacks the key)
};

// The keys whose values differ, sorted, leaving out those under any of `ignore` (a key equal to
// an entry or below it: "logging" ignores "logging.every_steps").
std::vector<YamlDifference> yaml_differences(const std::string& a, const std::string& b,
                                             const std::vector<std::string>& ignore = {});

// "trainer.epochs: 2 -> 3, model.layers.1.units: 8 -> 16" (at most `max` entries, then "...").
std::string describe_differences(const std::vector<YamlDifference>& d, size_t max = 8);

}  // namespace strata
