// AtomicFile: a file appears under its name only whole (core/atomic_file.h).
#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "tests/support/temp_dir.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFile, AppearsOnlyWhenCommitted) {
  const testing::TempDir dir;
  const std::string path = dir.path("a.txt");
  {
    AtomicFile f(path);
    EXPECT_EQ(f.temp_path(), path + ".tmp-" + std::to_string(::getpid()));
    std::ofstream(f.temp_path()) << "whole";
    EXPECT_FALSE(fs::exists(path));
    f.commit();
    EXPECT_FALSE(fs::exists(f.temp_path()));
  }
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "whole");
}

TEST(AtomicFile, NotCommittedLeavesNothing) {
  const testing::TempDir dir;
  const std::string path = dir.path("b.txt");
  std::ofstream(path) << "old";
  {
    AtomicFile f(path);
    std::ofstream(f.temp_path()) << "half";
  }  // an error before commit: the old file stays, the temporary one goes
  EXPECT_EQ(dir.files(), std::vector<std::string>{"b.txt"});
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "old");
}

TEST(AtomicFile, ACommitThatCannotRenameSaysWhyAndCleansUp) {
  const testing::TempDir dir;
  fs::create_directories(dir.path("taken/inside"));  // a non-empty folder cannot be replaced
  AtomicFile f(dir.path("taken"));
  std::ofstream(f.temp_path()) << "x";
  try {
    f.commit();
    ADD_FAILURE() << "renamed over a folder";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("cannot rename"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(fs::exists(f.temp_path()));
}

TEST(AtomicFile, TextAndTempNames) {
  const testing::TempDir dir;
  write_text_atomically(dir.path("c.yaml"), "a: 1\n");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"c.yaml"});
  EXPECT_TRUE(is_atomic_temp_name("loss.png.tmp-1234"));
  EXPECT_TRUE(is_atomic_temp_name("shard-00002.h5.tmp-7"));
  EXPECT_FALSE(is_atomic_temp_name("loss.png"));
  EXPECT_FALSE(is_atomic_temp_name("notes.tmp-old"));
  EXPECT_FALSE(is_atomic_temp_name("x.tmp-"));
}

}  // namespace
}  // namespace strata
