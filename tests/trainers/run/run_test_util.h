// Helpers for the run-folder tests: a temporary folder (tests/support/temp_dir.h), a file's text
// and the message of the strata::Error a call throws.
#pragma once

#include <gtest/gtest.h>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.h"
#include "tests/core/config/config_test_util.h"

namespace strata::run_test {

using strata::testing::TempDir;  // tests/support/temp_dir.h

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

using strata::testing::error_of;  // tests/core/config/config_test_util.h
using strata::testing::expect_contains;

}  // namespace strata::run_test
