// TensorBoard's events file: CRC-32C against known vectors, TFRecord framing (round trip, a torn
// or corrupt tail), and the events file of a run: its records, and a restart that keeps only the
// records up to a step in a new file that replaces the earlier one.
#include "trainers/run/event_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/trainers/run/run_test_util.h"
#include "trainers/run/event_file.h"
#include "trainers/run/tensorboard_event.pb.h"

namespace strata {
namespace {

using run_test::read_text;
using run_test::TempDir;
namespace tb = strata::tensorboard;

TEST(Crc32c, KnownVectors) {
  // RFC 3720 (iSCSI) B.4 and the common check value.
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);
  const std::string zeros(32, '\0'), ones(32, '\xff');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8a9136aau);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62a8ab43u);
  std::string up;
  for (int i = 0; i < 32; ++i) up.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(up.data(), up.size()), 0x46dd794eu);
  EXPECT_EQ(crc32c("", 0), 0u);
  // The mask TFRecord applies: rotate right by 15, add 0xa282ead8.
  const uint32_t c = 0xe3069283u;
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(Records, FramingRoundTripsAndStopsAtATornOrCorruptTail) {
  const std::string a = frame_record("hello"), b = frame_record(""), c = frame_record("world!");
  ASSERT_EQ(a.size(), 5u + 16u);
  EXPECT_EQ(a.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));  // little-endian length
  const std::string all = a + b + c;
  RecordRead r = read_records(all);
  EXPECT_EQ(r.records, (std::vector<std::string>{"hello", "", "world!"}));
  EXPECT_EQ(r.whole_bytes, all.size());
  // A write torn anywhere in the last record: the first two come back, whole.
  for (size_t cut = a.size() + b.size(); cut < all.size(); ++cut) {
    r = read_records(std::string_view(all).substr(0, cut));
    EXPECT_EQ(r.records, (std::vector<std::string>{"hello", ""})) << "cut at " << cut;
    EXPECT_EQ(r.whole_bytes, a.size() + b.size());
  }
  // A flipped bit in the last record's data fails its checksum.
  std::string bad = all;
  bad[all.size() - 6] ^= 0x10;
  EXPECT_EQ(read_records(bad).records.size(), 2u);
  // A flipped bit in a length fails the length's checksum.
  bad = all;
  bad[0] ^= 0x01;
  EXPECT_TRUE(read_records(bad).records.empty());
}

std::vector<tb::Event> events_in(const std::string& path) {
  std::vector<tb::Event> out;
  for (const std::string& rec : read_records(read_text(path)).records) {
    tb::Event e;
    EXPECT_TRUE(e.ParseFromString(rec));
    out.push_back(e);
  }
  return out;
}

// A 3x2 RGB PNG's first 33 bytes (signature and IHDR); the rest is not read for the size.
std::string png_header(uint32_t width, uint32_t height, char colour_type) {
  std::string p("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (uint32_t v : {width, height})
    for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<char>((v >> s) & 0xff));
  p += std::string("\x08", 1) + colour_type + std::string("\0\0\0", 3) + "crc!";
  return p;
}

TEST(EventLog, WritesVersionScalarsAndImages) {
  TempDir dir;
  std::string path;
  {
    EventLog log(dir.path(""), -1);
    path = log.path();
    EXPECT_TRUE(is_events_file_name(std::filesystem::path(path).filename().string()));
    log.scalars(10, "train", {{"loss", 0.25}, {"lr", 1e-3}});
    log.image(10, "train/samples", png_header(3, 2, 2));
    // Flushed per record: readable before the log closes.
    EXPECT_EQ(events_in(path).size(), 3u);
  }
  const std::vector<tb::Event> ev = events_in(path);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].file_version(), "brain.Event:2");
  EXPECT_EQ(ev[1].step(), 10);
  ASSERT_EQ(ev[1].summary().value_size(), 2);
  EXPECT_EQ(ev[1].summary().value(0).tag(), "train/loss");
  EXPECT_EQ(ev[1].summary().value(0).simple_value(), 0.25f);
  EXPECT_EQ(ev[1].summary().value(1).tag(), "train/lr");
  EXPECT_EQ(ev[1].summary().value(1).simple_value(), 1e-3f);
  const tb::Summary::Image& im = ev[2].summary().value(0).image();
  EXPECT_EQ(ev[2].summary().value(0).tag(), "train/samples");
  EXPECT_EQ(im.width(), 3);
  EXPECT_EQ(im.height(), 2);
  EXPECT_EQ(im.colorspace(), 3);
  EXPECT_EQ(im.encoded_image_string(), png_header(3, 2, 2));
  EXPECT_GT(ev[1].wall_time(), 1e9);
}

TEST(EventLog, ARestartKeepsTheRecordsUpToTheStepInOneNewFile) {
  TempDir dir;
  std::string first;
  {
    EventLog log(dir.path(""), -1);
    first = log.path();
    for (int64_t s : {5, 10, 15, 20}) log.scalars(s, "train", {{"loss", s * 0.5}});
  }
  // A torn last record, as a kill in the middle of a write leaves.
  {
    std::string bytes = read_text(first);
    const std::string extra = frame_record("partial record");
    dir.write(std::filesystem::path(first).filename().string(),
              bytes + extra.substr(0, extra.size() - 3));
  }
  std::string second;
  {
    EventLog log(dir.path(""), 10);  // resumed from a checkpoint at step 10
    second = log.path();
    EXPECT_EQ(log.dropped(), 2);
    log.scalars(15, "train", {{"loss", 7.0}});
  }
  EXPECT_NE(second, first);
  EXPECT_GT(std::filesystem::path(second).filename().string(),
            std::filesystem::path(first).filename().string());
  EXPECT_EQ(events_files(dir.path("")), std::vector<std::string>{second});
  std::vector<int64_t> steps;
  std::vector<float> loss;
  for (const tb::Event& e : events_in(second)) {
    steps.push_back(e.step());
    if (e.has_summary()) loss.push_back(e.summary().value(0).simple_value());
  }
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 5, 10, 15}));  // the version record, then in order
  EXPECT_EQ(loss, (std::vector<float>{2.5f, 5.0f, 7.0f}));

  // A new run (nothing to keep): one file with the version record only.
  { EventLog log(dir.path(""), -1); }
  const std::vector<std::string> files = events_files(dir.path(""));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(events_in(files[0]).size(), 1u);
}

TEST(EventLog, FileNames) {
  EXPECT_TRUE(is_events_file_name("events.out.tfevents.1700000000.node1"));
  EXPECT_FALSE(is_events_file_name("events.out.tfevents.1700000000.node1.tmp-123"));
  EXPECT_FALSE(is_events_file_name("metrics.jsonl"));
}

}  // namespace
}  // namespace strata
