// TempDir: a folder of one test's own, made with mkdtemp (a unique name, also across processes
// and concurrent runs) under $TMPDIR, and removed with everything in it when the object goes:
// on every exit path of a test (return, a failed ASSERT, an exception). ctest sets TMPDIR to a
// folder of the build tree (tests/CMakeLists.txt), and a last test checks that it is empty.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strata::testing {

class TempDir {
 public:
  // prefix: the start of the folder's name, to tell whose it is when one is left behind.
  explicit TempDir(const std::string& prefix = "strata_test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The full path of `name` in the folder ("" gives the folder itself, with a trailing slash).
  std::string path(const std::string& name) const { return (root_ / name).string(); }
  const std::filesystem::path& root() const { return root_; }
  // Writes `text` to `name` in the folder; returns its full path.
  std::string write(const std::string& name, const std::string& text) const;
  // The names of the entries of the folder (or of a subfolder), sorted.
  std::vector<std::string> files(const std::string& sub = "") const;

 private:
  std::filesystem::path root_;
};

// A TempDir that is also $TMPDIR while the object lives (for code that keeps caches there, such
// as the benchmark's data); the previous TMPDIR comes back afterwards.
class TempTmpdir {
 public:
  explicit TempTmpdir(const std::string& prefix = "strata_tmpdir");
  ~TempTmpdir();
  TempTmpdir(const TempTmpdir&) = delete;
  TempTmpdir& operator=(const TempTmpdir&) = delete;
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::string old_;
  bool had_old_ = false;
};

// The folder temporary files go to: $TMPDIR when set, else /tmp.
std::filesystem::path temp_root();

}  // namespace strata::testing
