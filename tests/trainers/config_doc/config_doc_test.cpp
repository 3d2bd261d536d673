// docs/configuration.md is generated from the parsers and cannot drift: it must equal what
// `strata config-doc` renders now, every key must have a meaning, and every key that a parser's
// source names must be reached by a probe (so a new key or branch cannot stay undocumented).
#include "trainers/config_doc/config_doc.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace strata {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const Schema& schema() {
  static const Schema s = collect_schema();
  return s;
}

TEST(ConfigDoc, EveryKeyHasAMeaningAndEveryMeaningAKey) {
  std::string all;
  for (const std::string& p : schema().problems) all += "\n  " + p;
  EXPECT_TRUE(schema().problems.empty()) << schema().problems.size() << " problem(s):" << all;
  EXPECT_GT(schema().rows.size(), 100u);
}

TEST(ConfigDoc, TheFileInDocsIsCurrent) {
  const fs::path doc = fs::path(STRATA_SOURCE_DIR) / "docs/configuration.md";
  ASSERT_TRUE(fs::exists(doc)) << doc << " is missing; run: strata config-doc --out " << doc;
  EXPECT_TRUE(read(doc) == render_configuration_md(schema()))
      << doc << " is out of date; regenerate it: strata config-doc --out docs/configuration.md";
}

// The keys named as string literals in the parsers' sources: getter calls on a YamlMap, and
// the helpers that take a key (pair_or, parse_activation...).
std::set<std::string> keys_in_sources() {
  static const std::regex getter(
      "(?:\\.|->)(?:get|get_int|get_int_or|get_double|get_double_or|get_float|get_float_or|"
      "get_bool|get_bool_or|get_string|get_string_or|get_choice|get_choice_or|get_int_list|"
      "get_map|find_map|get_list|find|has)\\(\"([A-Za-z_0-9]+)\"");
  static const std::regex helper(
      "(?:pair_or|pair_required|parse_activation|parse_layer_ref)\\([^,()]+, \"([A-Za-z_0-9]+)\"");
  std::set<std::string> keys;
  const fs::path root(STRATA_SOURCE_DIR);
  for (const char* folder : {"core/config", "trainers", "trainers/kinds"}) {
    for (const auto& f : fs::directory_iterator(root / folder)) {
      if (f.path().extension() != ".cpp" || f.path().filename() == "yaml_map.cpp") continue;
      const std::string text = read(f.path());
      for (const std::regex* re : {&getter, &helper})
        for (std::sregex_iterator it(text.begin(), text.end(), *re), end; it != end; ++it)
          keys.insert((*it)[1].str());
    }
  }
  return keys;
}

TEST(ConfigDoc, EveryKeyInTheParsersIsReachedByAProbe) {
  std::set<std::string> documented;
  for (const SchemaRow& r : schema().rows) documented.insert(r.key);
  const std::set<std::string> named = keys_in_sources();
  EXPECT_GT(named.size(), 60u);  // the scan itself works
  for (const std::string& k : named)
    EXPECT_TRUE(documented.count(k))
        << "the key '" << k << "' appears in a parser but no probe in "
        << "trainers/config_doc/probes.cpp reaches it; add one, then regenerate the docs";
}

TEST(ConfigDoc, SharedSectionsListWhereTheyAreRead) {
  std::set<std::string> model_at;
  for (const ScopeUse& u : schema().scopes)
    if (u.name == "@model") model_at.insert(u.at);
  EXPECT_EQ(model_at, (std::set<std::string>{"model", "models.generator", "models.discriminator"}));
  const std::string md = render_configuration_md(schema());
  EXPECT_NE(md.find("| `units` | `dense` | a positive integer | required |"), std::string::npos);
  EXPECT_NE(md.find("| `bucket_mb` | a number > 0 | `25` |"), std::string::npos);
}

}  // namespace
}  // namespace strata
