#include "core/error.h"

#include <atomic>

namespace strata {
namespace {
std::atomic<int> g_rank{0};

std::string format(const std::string& message, const char* file, int line) {
  std::ostringstream os;
  os << message << " [rank " << g_rank.load() << ", " << file << ":" << line << "]";
  return os.str();
}
}  // namespace

void set_error_rank(int rank) {
  g_rank.store(rank);
}
int error_rank() {
  return g_rank.load();
}

Error::Error(const std::string& message, const char* file, int line)
    : std::runtime_error(format(message, file, line)), message_(message) {}

}  // namespace strata
