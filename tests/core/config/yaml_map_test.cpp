#include "core/config/yaml_map.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/core/config/config_test_util.h"

namespace strata {
namespace {

using testing::error_of;
using testing::expect_contains;
using testing::TempDir;

// Line numbers below are 1-based, as in the messages.
const char* kGood =
    "count: 3\n"           // 1
    "neg: -7\n"            // 2
    "rate: 0.25\n"         // 3
    "eps: 1e-5\n"          // 4
    "whole: 2\n"           // 5
    "flag: true\n"         // 6
    "off: false\n"         // 7
    "name: hello world\n"  // 8
    "quoted: \"5\"\n"      // 9
    "dims: [1, 28, 28]\n"  // 10
    "sub:\n"               // 11
    "  a: 1\n"             // 12
    "items:\n"             // 13
    "  - {x: 1}\n"         // 14
    "  - {x: 2}\n";        // 15

TEST(YamlMap, TypedGettersReadWhatIsWritten) {
  const YamlMap m = YamlMap::parse(kGood, "good.yaml");
  EXPECT_EQ(m.get_int("count", IntRange::positive()), 3);
  EXPECT_EQ(m.get_int("neg"), -7);
  EXPECT_DOUBLE_EQ(m.get_double("rate", RealRange{0.0, 1.0}), 0.25);
  EXPECT_FLOAT_EQ(m.get_float("eps", RealRange::positive()), 1e-5f);
  EXPECT_DOUBLE_EQ(m.get_double("whole"), 2.0);  // an integer is a number
  EXPECT_TRUE(m.get_bool("flag"));
  EXPECT_FALSE(m.get_bool("off"));
  EXPECT_EQ(m.get_string("name"), "hello world");
  EXPECT_EQ(m.get_string("quoted"), "5");  // a quoted number is a string
  EXPECT_EQ(m.get_int_list("dims", IntRange::positive(), 1, 3), (std::vector<int64_t>{1, 28, 28}));
  const YamlMap sub = m.get_map("sub");
  EXPECT_EQ(sub.path(), "sub");
  EXPECT_EQ(sub.get_int("a"), 1);
  sub.finish();
  const std::vector<YamlValue> items = m.get_list("items");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].path(), "items[1]");
  EXPECT_EQ(items[1].line(), 15);
  EXPECT_EQ(items[1].as_map().get_int("x"), 2);
  // Absent optional keys give the fallback.
  EXPECT_EQ(m.get_int_or("missing_int", 42), 42);
  EXPECT_TRUE(m.get_bool_or("missing_bool", true));
  EXPECT_EQ(m.get_string_or("missing_str", "d"), "d");
  EXPECT_FALSE(m.find_map("missing_map").has_value());
  EXPECT_NO_THROW(m.finish());  // every key was read
}

TEST(YamlMap, WrongTypesNameFileLineAndKey) {
  const std::string text =
      "units: abc\n"       // 1
      "real: 1.5\n"        // 2
      "quoted: \"5\"\n"    // 3
      "list: [1, 2]\n"     // 4
      "flag: yes\n"        // 5
      "rate: fast\n"       // 6
      "name: [a, b]\n"     // 7
      "empty:\n"           // 8
      "neg: -3\n"          // 9
      "dims: [1, x, 3]\n"  // 10
      "big: 1.5e400\n"     // 11
      "hex: 0x10\n"        // 12
      "sub: 3\n"           // 13
      "range: 1.5\n";      // 14
  const YamlMap m = YamlMap::parse(text, "types.yaml");
  const IntRange pos = IntRange::positive();
  expect_contains(error_of([&] { m.get_int("units", pos); }),
                  {"types.yaml:1:8: units: expected a positive integer, found 'abc'"});
  expect_contains(error_of([&] { m.get_int("real", pos); }),
                  {"types.yaml:2:7: real: expected a positive integer, found '1.5'"});
  expect_contains(error_of([&] { m.get_int("quoted", pos); }),
                  {"types.yaml:3:9: quoted:", "the quoted string \"5\""});
  expect_contains(error_of([&] { m.get_int("list", pos); }),
                  {"types.yaml:4:7: list:", "found a list"});
  expect_contains(error_of([&] { m.get_bool("flag"); }),
                  {"types.yaml:5:7: flag: expected true or false, found 'yes'"});
  expect_contains(error_of([&] { m.get_double("rate"); }),
                  {"types.yaml:6:7: rate: expected a number, found 'fast'"});
  expect_contains(error_of([&] { m.get_string("name"); }),
                  {"types.yaml:7:7: name: expected a string, found a list"});
  // A key without a value: the position is the key's.
  expect_contains(error_of([&] { m.get_int("empty"); }),
                  {"types.yaml:8:1: empty: expected an integer, found an empty value"});
  expect_contains(error_of([&] { m.get_int("neg", pos); }),
                  {"types.yaml:9:6: neg: expected a positive integer, found '-3'"});
  expect_contains(error_of([&] { m.get_int_list("dims", pos); }),
                  {"types.yaml:10:11: dims[1]: expected a positive integer, found 'x'"});
  expect_contains(error_of([&] { m.get_int_list("dims", pos, 2, 2); }),
                  {"types.yaml:10:7: dims: expected a list of 2 integers", "found a list of 3"});
  expect_contains(error_of([&] { m.get_double("big"); }), {"types.yaml:11:6: big:"});
  expect_contains(error_of([&] { m.get_int("hex"); }), {"types.yaml:12:6: hex:", "'0x10'"});
  expect_contains(error_of([&] { m.get_map("sub"); }),
                  {"types.yaml:13:6: sub: expected a map of keys, found '3'"});
  expect_contains(error_of([&] {
                    m.get_double("range", RealRange{0.0, 1.0, false, true});
                  }),
                  {"types.yaml:14:8: range: expected a number in [0, 1), found '1.5'"});
  expect_contains(
      error_of([&] {
        m.get_choice("rate", {"slow", "fast2"});
      }),
      {"types.yaml:6:7: rate: expected one of slow, fast2, found 'fast'", "did you mean 'fast2'?"});
}

TEST(YamlMap, MissingKeyPointsAtTheMap) {
  const std::string text =
      "model:\n"             // 1
      "  layers:\n"          // 2
      "    - type: dense\n"  // 3
      "      unit: 10\n";    // 4
  const YamlMap root = YamlMap::parse(text, "m.yaml");
  const YamlMap layer = root.get_map("model").get_list("layers")[0].as_map();
  const std::string msg = error_of([&] { layer.get_int("units", IntRange::positive()); });
  expect_contains(msg, {"m.yaml:3:7: model.layers[0]: missing required key 'units'",
                        "a positive integer", "found 'unit'"});
}

TEST(YamlMap, FinishRejectsUnknownKeysWithASuggestion) {
  const std::string text =
      "type: dense\n"  // 1
      "unit: 10\n";    // 2
  const YamlMap m = YamlMap::parse(text, "u.yaml");
  m.get_string("type");
  m.get_int_or("units", 5);
  m.get_bool_or("bias", true);
  expect_contains(error_of([&] { m.finish(); }),
                  {"u.yaml:2:1: unit: unknown key 'unit' — did you mean 'units'?"});

  const YamlMap far = YamlMap::parse("type: dense\nzzzzzz: 1\n", "far.yaml");
  far.get_string("type");
  far.get_int_or("units", 5);
  expect_contains(error_of([&] { far.finish(); }),
                  {"far.yaml:2:1: zzzzzz: unknown key 'zzzzzz'", "the keys here are: type, units"});
}

TEST(YamlMap, NestedPathsAndCopiesShareTheReadRecord) {
  const std::string text =
      "a:\n"         // 1
      "  b:\n"       // 2
      "    c: 1\n"   // 3
      "    d: x\n";  // 4
  const YamlMap root = YamlMap::parse(text, "n.yaml");
  const YamlMap b = root.get_map("a").get_map("b");
  const YamlMap copy = b;
  EXPECT_EQ(copy.get_int("c"), 1);
  expect_contains(error_of([&] { b.get_int("d"); }), {"n.yaml:4:8: a.b.d: expected an integer"});
  EXPECT_NO_THROW(b.finish());  // c was read through the copy, d through b
}

TEST(YamlMap, DuplicateKeysAreRejected) {
  const std::string msg = error_of([] { YamlMap::parse("a: 1\nb: 2\na: 3\n", "dup.yaml"); });
  expect_contains(msg, {"dup.yaml:3:1: a: duplicate key 'a'", "line 1"});
}

TEST(YamlMap, LoadReportsFileProblems) {
  TempDir dir;
  const std::string good = dir.write("ok.yaml", "x: 1\n");
  const YamlMap m = YamlMap::load(good);
  EXPECT_EQ(m.get_int("x"), 1);
  EXPECT_EQ(m.file(), good);

  const std::string missing = dir.path("nope.yaml");
  expect_contains(error_of([&] { YamlMap::load(missing); }), {missing, "no such file"});

  const std::string bad = dir.write("bad.yaml",
                                    "a: 1\n"      // 1
                                    "b: [1, 2\n"  // 2
                                    "c: 3\n");    // 3
  expect_contains(error_of([&] { YamlMap::load(bad); }), {bad + ":", "YAML syntax error"});

  const std::string indent = dir.write("indent.yaml",
                                       "a: 1\n"     // 1
                                       " b: 2\n");  // 2
  expect_contains(error_of([&] { YamlMap::load(indent); }), {indent + ":2:", "YAML syntax error"});

  const std::string empty = dir.write("empty.yaml", "# nothing\n");
  expect_contains(error_of([&] { YamlMap::load(empty); }), {empty, "empty"});

  const std::string list = dir.write("list.yaml", "- 1\n- 2\n");
  expect_contains(error_of([&] { YamlMap::load(list); }),
                  {list + ":1:1", "expected a map of keys at the top level, found a list"});

  const std::string two = dir.write("two.yaml", "a: 1\n---\nb: 2\n");
  expect_contains(error_of([&] { YamlMap::load(two); }), {two, "2 YAML documents"});

  expect_contains(error_of([&] { YamlMap::load(dir.path("")); }), {"directory"});
}

TEST(YamlMap, SuggestionsUseEditDistance) {
  EXPECT_EQ(edit_distance("unit", "units"), 1);
  EXPECT_EQ(edit_distance("kernel", "kernal"), 1);
  EXPECT_EQ(edit_distance("stirde", "stride"), 1);  // a transposition
  EXPECT_EQ(closest_match("unit", {"type", "units", "bias"}), "units");
  EXPECT_EQ(closest_match("fliters", {"filters", "kernel"}), "filters");
  EXPECT_EQ(closest_match("zzzz", {"type", "units"}), "");
}

TEST(YamlMap, RangesDescribeThemselves) {
  EXPECT_EQ(IntRange{}.describe(), "an integer");
  EXPECT_EQ(IntRange::positive().describe(), "a positive integer");
  EXPECT_EQ(IntRange::non_negative().describe(), "a non-negative integer");
  EXPECT_EQ((IntRange{0, 3}).describe(), "an integer in [0, 3]");
  EXPECT_EQ(RealRange{}.describe(), "a number");
  EXPECT_EQ(RealRange::positive().describe(), "a number > 0");
  EXPECT_EQ((RealRange{0.0, 1.0, false, true}).describe(), "a number in [0, 1)");
}

}  // namespace
}  // namespace strata
