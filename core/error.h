// The one error path of Strata. Library code throws strata::Error (through STRATA_THROW /
// STRATA_CHECK); only the CLI's main catches, prints the message once and exits non-zero.
// Every message carries the rank that raised it, the source location, and says what to do.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace strata {

// Sets the rank printed in error messages (the distributed layer calls this once it knows it).
void set_error_rank(int rank);
int error_rank();

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, const char* file, int line);
  // The message without the rank and source location, for tests and for nested context.
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

}  // namespace strata

#define STRATA_THROW(msg)                                              \
  do {                                                                 \
    std::ostringstream strata_error_os_;                               \
    strata_error_os_ << msg;                                           \
    throw ::strata::Error(strata_error_os_.str(), __FILE__, __LINE__); \
  } while (0)

#define STRATA_CHECK(cond, msg)     \
  do {                              \
    if (!(cond)) STRATA_THROW(msg); \
  } while (0)
