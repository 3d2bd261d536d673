// Progress: lines mode prints every N steps (and the last) in the documented format; bar mode
// redraws with "\r", throttles, clears the bar for line(); everything written is ASCII.
#include "trainers/run/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace strata {
namespace {

// Everything written to f so far.
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  return s;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool ascii(const std::string& s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

TEST(Progress, LinesEveryNStepsAndTheLast) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p(ProgressMode::kAuto, 2, f);  // a file is not a terminal: lines
  EXPECT_FALSE(p.bar());
  p.begin_phase("pretrain_1", 5);
  for (int64_t s = 1; s <= 5; ++s) p.step(s, 1, 64, {{"loss", 0.0412}}, 0.25);
  p.line("pretrain_1 epoch 1 done");
  p.end_phase();
  const std::string out = contents(f);
  std::fclose(f);
  const std::vector<std::string> lines = split_lines(out);
  ASSERT_EQ(lines.size(), 4u) << out;
  const char* steps[] = {"2/5", "4/5", "5/5"};
  for (int i = 0; i < 3; ++i) {
    const std::string head =
        std::string("pretrain_1 epoch 1 step ") + steps[i] + " loss 0.0412 samples/s ";
    EXPECT_EQ(lines[i].rfind(head, 0), 0u) << lines[i];
    EXPECT_NE(lines[i].find(" data_wait_ms 0.25 eta "), std::string::npos) << lines[i];
  }
  EXPECT_EQ(lines[3], "pretrain_1 epoch 1 done");
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_TRUE(ascii(out));
}

TEST(Progress, ResumedPhaseCountsFromTheStepsDone) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p(ProgressMode::kLines, 10, f);
  p.begin_phase("gan", 30, 20);
  for (int64_t s = 21; s <= 30; ++s) p.step(s, 3, 8, {{"d_loss", 0.5}, {"g_loss", 1.5}}, 0.0);
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(out.rfind("gan epoch 3 step 30/30 d_loss 0.5 g_loss 1.5 samples/s ", 0), 0u) << out;
  EXPECT_NE(out.find(" eta 0:00\n"), std::string::npos) << out;
}

TEST(Progress, BarRedrawsInPlaceAndClearsForLines) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p(ProgressMode::kBar, 1, f);
  EXPECT_TRUE(p.bar());
  p.begin_phase("pretrain_1", 1000);
  for (int64_t s = 1; s <= 999; ++s) p.step(s, 1, 32, {{"loss", 0.25}}, 0.1);
  const std::string mid = contents(f);
  // Throttled: the first step draws, the next ones (well within 0.1 s) do not.
  EXPECT_EQ(mid.rfind("\rpretrain_1 ep 1 [", 0), 0u) << mid;
  EXPECT_LE(std::count(mid.begin(), mid.end(), '\r'), 20) << mid;
  EXPECT_EQ(mid.find('\n'), std::string::npos);
  p.step(1000, 1, 32, {{"loss", 0.25}}, 0.1);  // the last step always draws
  p.line("epoch 1 done");
  p.end_phase();
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_NE(out.find("[####################] 100% 1000/1000 "), std::string::npos) << out;
  EXPECT_NE(out.find("loss 0.25"), std::string::npos);
  const size_t done = out.find("epoch 1 done\n");
  ASSERT_NE(done, std::string::npos);
  EXPECT_EQ(out[done - 1], '\r');  // the bar was blanked first
  EXPECT_EQ(out.back(), '\n');     // nothing drawn after the line
  EXPECT_TRUE(ascii(out));
}

}  // namespace
}  // namespace strata
