// metrics.jsonl: the exact text of records (null for non-finite values, escaped strings, number
// formats), appending across reopenings, and the error for a path that cannot be opened.
#include "trainers/run/metrics_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/trainers/run/run_test_util.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::read_text;
using run_test::TempDir;

TEST(MetricsLog, RecordsAreJsonLinesWithNullForNonFinite) {
  TempDir dir;
  const std::string path = dir.path("metrics.jsonl");
  {
    MetricsLog log(path);
    log.write(120, 1, "pretrain_1",
              {{"loss", 0.0312}, {"samples_per_s", 40960.2}, {"data_wait_ms", 0.05}});
    // The file is flushed per record: the line is there before the log closes.
    EXPECT_EQ(read_text(path),
              "{\"step\": 120, \"epoch\": 1, \"phase\": \"pretrain_1\", \"loss\": 0.0312, "
              "\"samples_per_s\": 40960.2, \"data_wait_ms\": 0.05}\n");
    log.write(121, 2, "say \"hi\"\\\n\t\x01",
              {{"loss", std::nan("")},
               {"grad", std::numeric_limits<double>::infinity()},
               {"lr", 1e-4},
               {"third", 1.0 / 3.0},
               {"f", static_cast<double>(0.1f)},
               {"big", 123456789.0},
               {"neg", -2.5e-12}});
  }
  EXPECT_EQ(read_text(path),
            "{\"step\": 120, \"epoch\": 1, \"phase\": \"pretrain_1\", \"loss\": 0.0312, "
            "\"samples_per_s\": 40960.2, \"data_wait_ms\": 0.05}\n"
            "{\"step\": 121, \"epoch\": 2, \"phase\": \"say \\\"hi\\\"\\\\\\n\\t\\u0001\", "
            "\"loss\": null, \"grad\": null, \"lr\": 0.0001, \"third\": 0.33333333, \"f\": 0.1, "
            "\"big\": 123456789, \"neg\": -2.5e-12}\n");
}

TEST(MetricsLog, AReopenedLogAppends) {
  TempDir dir;
  const std::string path = dir.path("metrics.jsonl");
  MetricsLog(path).write(1, 1, "a", {});
  MetricsLog(path).write(2, 1, "a", {{"loss", 1.0}});
  EXPECT_EQ(read_text(path),
            "{\"step\": 1, \"epoch\": 1, \"phase\": \"a\"}\n"
            "{\"step\": 2, \"epoch\": 1, \"phase\": \"a\", \"loss\": 1}\n");
}

TEST(MetricsLog, AReopenedLogDropsAHalfWrittenLastLine) {
  TempDir dir;
  const std::string path = dir.path("metrics.jsonl");
  MetricsLog(path).write(1, 1, "a", {});
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << "{\"step\": 2, \"epo";  // killed in the middle of a write
  }
  MetricsLog(path).write(2, 1, "a", {});
  EXPECT_EQ(read_text(path),
            "{\"step\": 1, \"epoch\": 1, \"phase\": \"a\"}\n"
            "{\"step\": 2, \"epoch\": 1, \"phase\": \"a\"}\n");
  // A file that is one partial line becomes empty.
  const std::string only = dir.path("only.jsonl");
  { std::ofstream(only, std::ios::binary) << "{\"st"; }
  MetricsLog(only).write(3, 1, "b", {});
  EXPECT_EQ(read_text(only), "{\"step\": 3, \"epoch\": 1, \"phase\": \"b\"}\n");
}

TEST(MetricsLog, UnwritablePathIsAnError) {
  TempDir dir;
  const std::string path = dir.path("missing/metrics.jsonl");
  expect_contains(error_of([&] { MetricsLog log(path); }), {path, "writable"});
}

}  // namespace
}  // namespace strata
