// Which keys two experiments disagree on (core/config/yaml_diff.h).
#include "core/config/yaml_diff.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace strata {
namespace {

TEST(YamlDiff, FlattensMapsAndListsToDottedKeys) {
  const auto f = flatten_yaml("a: {b: 1, c: [x, {d: 2}]}\ne: []\n");
  EXPECT_EQ(f.at("a.b"), "1");
  EXPECT_EQ(f.at("a.c.0"), "x");
  EXPECT_EQ(f.at("a.c.1.d"), "2");
  EXPECT_EQ(f.at("e"), "[]");
  EXPECT_EQ(f.size(), 4u);
}

TEST(YamlDiff, ListsChangedAddedAndRemovedKeys) {
  const auto d = yaml_differences("t: {epochs: 2, lr: 0.1}\nm: [8]\n",
                                  "t: {epochs: 3, lr: 0.1}\nm: [8, 16]\nnew: 1\n");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].key, "m.1");
  EXPECT_EQ(d[0].a, "(absent)");
  EXPECT_EQ(d[0].b, "16");
  EXPECT_EQ(d[1].key, "new");
  EXPECT_EQ(d[2].key, "t.epochs");
  EXPECT_EQ(describe_differences(d), "m.1: (absent) -> 16, new: (absent) -> 1, t.epochs: 2 -> 3");
}

TEST(YamlDiff, IgnoresKeysUnderTheGivenSections) {
  const std::string a = "logging: {every: 5}\ndata: {train: x, scale: unit}\n";
  const std::string b = "logging: {every: 9}\ndata: {train: y, scale: symmetric}\n";
  const auto d = yaml_differences(a, b, {"logging", "data.train"});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].key, "data.scale");
  // "data.train" does not hide "data.trainer" (a key that merely starts the same).
  EXPECT_EQ(yaml_differences("data: {trainer: 1}", "data: {trainer: 2}", {"data.train"}).size(),
            1u);
  EXPECT_TRUE(yaml_differences(a, a).empty());
}

TEST(YamlDiff, ManyDifferencesAreCounted) {
  std::string a, b;
  for (int i = 0; i < 12; ++i) {
    a += "k" + std::to_string(i) + ": 1\n";
    b += "k" + std::to_string(i) + ": 2\n";
  }
  const std::string s = describe_differences(yaml_differences(a, b), 3);
  EXPECT_NE(s.find("... (12 keys in all)"), std::string::npos) << s;
}

TEST(YamlDiff, NotYamlIsAnError) {
  EXPECT_THROW(flatten_yaml("a: [unclosed"), Error);
}

}  // namespace
}  // namespace strata
