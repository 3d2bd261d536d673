#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <utility>

#include "core/error.h"

namespace strata {

namespace {
constexpr const char* kTempMark = ".tmp-";
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), temp_(path_ + kTempMark + std::to_string(::getpid())) {}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  STRATA_CHECK(!committed_, path_ << ": committed twice; this is a bug in the caller");
  const int fd = ::open(temp_.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);  // the data reaches the disk before the name does
    ::close(fd);
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temp_.c_str());
    committed_ = true;  // nothing left to remove
    STRATA_THROW(path_ << ": cannot rename " << temp_ << " to it (" << why
                       << "); check that the folder is writable and " << path_
                       << " is not a folder");
  }
  committed_ = true;
}

void write_text_atomically(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    STRATA_CHECK(out.good(), "cannot write " << file.temp_path() << ": " << std::strerror(errno)
                                             << "; check the folder's permissions and free space");
  }
  file.commit();
}

bool is_atomic_temp_name(const std::string& name) {
  const size_t at = name.rfind(kTempMark);
  if (at == std::string::npos || at + std::strlen(kTempMark) >= name.size()) return false;
  for (size_t i = at + std::strlen(kTempMark); i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

}  // namespace strata
