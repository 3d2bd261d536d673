// Reading metrics.jsonl: records with their numbers, nulls, strings and booleans; the file that
// MetricsLog writes; a half-written last line skipped; malformed lines as errors naming FILE:LINE.
#include "trainers/plot/metrics_read.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "tests/trainers/run/run_test_util.h"
#include "trainers/run/metrics_log.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::TempDir;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(MetricsRead, GoodFile) {
  const std::string text =
      "{\"step\": 50, \"epoch\": 1, \"phase\": \"pretrain_1\", \"loss\": 0.059, \"mse\": 5.9e-2}\n"
      "\n"
      "{\"step\": 100, \"epoch\": 2, \"phase\": \"fine\\\"tune\", \"loss\": null, \"ok\": true,"
      " \"bad\": false, \"note\": \"a\\u00e9\\n\", \"neg\": -1.5E+2}\n"
      "  {\"step\": 150, \"test_mse\": 0}  \r\n";
  const std::vector<MetricsRecord> r = parse_metrics(text, "m.jsonl");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[0].step, 50);
  EXPECT_EQ(r[0].epoch, 1);
  EXPECT_EQ(r[0].phase, "pretrain_1");
  EXPECT_DOUBLE_EQ(r[0].value("loss"), 0.059);
  EXPECT_DOUBLE_EQ(r[0].value("mse"), 0.059);
  EXPECT_TRUE(r[0].has("loss"));
  EXPECT_FALSE(r[0].has("step"));  // step, epoch and phase are fields, not values
  EXPECT_TRUE(std::isnan(r[0].value("absent")));
  EXPECT_EQ(r[1].line, 3);
  EXPECT_EQ(r[1].phase, "fine\"tune");
  EXPECT_TRUE(r[1].has("loss"));
  EXPECT_TRUE(std::isnan(r[1].value("loss")));  // null
  EXPECT_EQ(r[1].value("ok"), 1);
  EXPECT_EQ(r[1].value("bad"), 0);
  EXPECT_DOUBLE_EQ(r[1].value("neg"), -150);
  ASSERT_EQ(r[1].strings.size(), 1u);
  EXPECT_EQ(r[1].strings[0].second, "a\xc3\xa9\n");
  EXPECT_EQ(r[2].line, 4);
  EXPECT_EQ(r[2].epoch, -1);
  EXPECT_EQ(r[2].phase, "");
  EXPECT_EQ(metric_names(r),
            std::vector<std::string>({"loss", "mse", "ok", "bad", "neg", "test_mse"}));
}

TEST(MetricsRead, ReadsWhatMetricsLogWrites) {
  TempDir dir;
  const std::string path = dir.path("metrics.jsonl");
  {
    MetricsLog log(path);
    log.write(10, 1, "gan", {{"d_loss", 0.5}, {"g_loss", std::nan("")}});
    log.write(20, 1, "gan", {{"d_loss", 0.25}, {"g_loss", 2.0}});
  }
  const std::vector<MetricsRecord> r = read_metrics(path);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].step, 20);
  EXPECT_EQ(r[1].phase, "gan");
  EXPECT_EQ(r[0].value("d_loss"), 0.5);
  EXPECT_TRUE(std::isnan(r[0].value("g_loss")));
  EXPECT_EQ(r[1].value("g_loss"), 2.0);
}

TEST(MetricsRead, HalfWrittenLastLineIsSkipped) {
  TempDir dir;
  const std::string path = dir.path("metrics.jsonl");
  write_text(path, "{\"step\": 1, \"loss\": 1}\n{\"step\": 2, \"loss\": 0.5}\n{\"step\": 3, \"lo");
  const std::vector<MetricsRecord> r = read_metrics(path);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].step, 2);
  // Cut inside a number or after a comma: the same.
  EXPECT_EQ(parse_metrics("{\"step\": 1}\n{\"step\": 2, \"loss\": 0.", "m").size(), 1u);
  EXPECT_EQ(parse_metrics("{\"step\": 1}\n{\"step\": 2,", "m").size(), 1u);
  // A complete last line without its newline is kept.
  EXPECT_EQ(parse_metrics("{\"step\": 1}\n{\"step\": 2}", "m").size(), 2u);
}

TEST(MetricsRead, MalformedLinesAreErrorsNamingFileAndLine) {
  TempDir dir;
  const std::string path = dir.path("metrics.jsonl");
  write_text(path, "{\"step\": 1, \"loss\": 1}\n{\"step\": 2, \"loss\": 0.5\n{\"step\": 3}\n");
  expect_contains(error_of([&] { read_metrics(path); }),
                  {path + ":2:", "expected '}'", "flat JSON object"});
  // A malformed last line that ends in a newline was written whole: an error too.
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1}\n{\"step\": 2,}\n", "m.jsonl"); }),
                  {"m.jsonl:2:", "object key"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"a\": {\"b\": 1}}\n", "m"); }),
                  {"m:1:", "\"a\"", "nested"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"a\": [1]}\n", "m"); }),
                  {"m:1:", "\"a\"", "nested"});
  expect_contains(error_of([&] { parse_metrics("[1, 2]\n{\"step\": 1}\n", "m"); }),
                  {"m:1:1", "'{'"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"x\": NaN}\n", "m"); }),
                  {"m:1:", "invalid literal"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 01}\n", "m"); }), {"m:1:"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"x\": 1, \"x\": 2}\n", "m"); }),
                  {"m:1", "\"x\" appears twice"});
  // Only the record's own keys must be unique.
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"step\": 2}\n", "m"); }),
                  {"\"step\" appears twice"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1} x\n", "m"); }),
                  {"m:1:", "end of input"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"s\": \"a\tb\"}\n", "m"); }),
                  {"m:1:", "control character"});
  expect_contains(error_of([&] { parse_metrics("{\"loss\": 1}\n{\"step\": 2}\n", "m"); }),
                  {"m:1", "no \"step\""});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1.5}\n{\"step\": 2}\n", "m"); }),
                  {"m:1", "\"step\" must be an integer"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": \"3\"}\n", "m"); }),
                  {"m:1", "\"step\" must be an integer"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"epoch\": true}\n", "m"); }),
                  {"m:1", "\"epoch\" must be an integer"});
  expect_contains(error_of([&] { parse_metrics("{\"step\": 1, \"phase\": 3}\n", "m"); }),
                  {"m:1", "\"phase\" must be a string"});
}

TEST(MetricsRead, NumbersInEveryJsonForm) {
  const std::vector<MetricsRecord> r = parse_metrics(
      "{\"step\": 1e3, \"a\": 1e-3, \"b\": -0, \"c\": -0.0, \"d\": 12345678901234567,"
      " \"e\": 1.7976931348623157e308, \"f\": 4.9e-324}\n{\"step\": 9007199254740993}\n",
      "m");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].step, 1000);  // an integral number written with an exponent is an integer
  EXPECT_EQ(r[0].value("a"), 1e-3);
  EXPECT_EQ(r[0].value("b"), 0.0);
  EXPECT_TRUE(std::signbit(r[0].value("c")));
  EXPECT_EQ(r[0].value("d"), 12345678901234567.0);
  EXPECT_EQ(r[0].value("e"), 1.7976931348623157e308);
  EXPECT_EQ(r[0].value("f"), 4.9e-324);
  EXPECT_EQ(r[1].step, 9007199254740993);  // integers are read exactly, beyond a double's 2^53
}

TEST(MetricsRead, MissingFileOrFolder) {
  TempDir dir;
  expect_contains(error_of([&] { read_metrics(dir.path("nowhere.jsonl")); }),
                  {"nowhere.jsonl", "cannot open"});
  expect_contains(error_of([&] { read_metrics(dir.root().string()); }), {"a folder"});
}

}  // namespace
}  // namespace strata
