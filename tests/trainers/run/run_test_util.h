// Helpers for the run-folder tests: a temporary folder (under gtest's TempDir(), made with mkdtemp
// and removed with everything in it) and the message of the strata::Error a call throws.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/core/config/config_test_util.h"

namespace strata::run_test {

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = ::testing::TempDir() + "strata_run_test_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const char* made = ::mkdtemp(buf.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = made ? made : pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  // The full path of `name` in the folder.
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& root() const { return path_; }
  // The names of the files in the folder (or in a subfolder), sorted.
  std::vector<std::string> files(const std::string& sub = "") const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_ / sub))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

using strata::testing::error_of;  // tests/core/config/config_test_util.h
using strata::testing::expect_contains;

}  // namespace strata::run_test
