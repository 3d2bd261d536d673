// Helpers for config tests: a temporary folder for YAML files (tests/support/temp_dir.h), and the
// message of the strata::Error a call throws.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "core/error.h"
#include "tests/support/temp_dir.h"  // defines: TempDir

namespace strata::testing {

// The message of the strata::Error that f throws; a test failure if it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  ADD_FAILURE() << "expected a strata::Error, none was thrown";
  return "";
}

// Checks that `message` contains every one of `parts`.
inline void expect_contains(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& p : parts)
    EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' not in: " << message;
}

}  // namespace strata::testing
