#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace strata::testing {

namespace fs = std::filesystem;

fs::path temp_root() {
  const char* dir = std::getenv("TMPDIR");
  return (dir != nullptr && *dir != '\0') ? fs::path(dir) : fs::path("/tmp");
}

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (temp_root() / (prefix + "_XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    // Fail loudly here rather than let the test write somewhere shared.
    throw std::runtime_error("mkdtemp failed for " + pattern + ": " + std::strerror(errno) +
                             " (is TMPDIR a writable folder?)");
  }
  root_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const std::string p = path(name);
  std::ofstream out(p, std::ios::binary);
  out << text;
  out.close();
  if (!out) ADD_FAILURE() << "cannot write " << p;
  return p;
}

std::vector<std::string> TempDir::files(const std::string& sub) const {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root_ / sub))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TempTmpdir::TempTmpdir(const std::string& prefix) : dir_(prefix) {
  const char* old = std::getenv("TMPDIR");
  had_old_ = old != nullptr;
  if (had_old_) old_ = old;
  ::setenv("TMPDIR", dir_.root().c_str(), 1);
}

TempTmpdir::~TempTmpdir() {
  if (had_old_)
    ::setenv("TMPDIR", old_.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
}

}  // namespace strata::testing
