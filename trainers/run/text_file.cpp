#include "trainers/run/text_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace strata {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in, path << ": cannot read: " << std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  STRATA_CHECK(!in.bad(), path << ": read error: " << std::strerror(errno));
  return text.str();
}

}  // namespace strata
