#include "trainers/run/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace strata {

void write_text_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    STRATA_CHECK(out.good(), "cannot write " << tmp << ": " << std::strerror(errno)
                                             << "; check the folder's permissions and free space");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  STRATA_CHECK(!ec, "cannot rename " << tmp << " to " << path << ": " << ec.message());
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in, path << ": cannot read: " << std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  STRATA_CHECK(!in.bad(), path << ": read error: " << std::strerror(errno));
  return text.str();
}

}  // namespace strata
