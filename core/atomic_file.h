// Files that are never seen half-written. An AtomicFile is written under a temporary name beside
// its final path (<path>.tmp-<pid>: unique also when two processes write the same path), flushed
// to disk and renamed over the path only by commit(); a file never committed (an error, an
// exception, a killed process) leaves no file under the final name, and the object removes its
// temporary file when it goes. Used for every file Strata writes whole: checkpoints and their
// `latest`, shards, codes, pictures, text files.
#pragma once

#include <string>

namespace strata {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  // Where to write; the writer creates it.
  const std::string& temp_path() const { return temp_; }
  // fsyncs the temporary file and renames it over path(); throws naming both (and removes the
  // temporary file) when that fails.
  void commit();

 private:
  std::string path_, temp_;
  bool committed_ = false;
};

// The whole of `text` in path, atomically.
void write_text_atomically(const std::string& path, const std::string& text);

// Whether `name` is the temporary name of an AtomicFile ("x.png.tmp-1234").
bool is_atomic_temp_name(const std::string& name);

}  // namespace strata
