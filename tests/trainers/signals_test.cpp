// The stop handlers: a SIGUSR1 or SIGTERM only sets a flag, read at the next step boundary.
#include "trainers/signals.h"

#include <gtest/gtest.h>

#include <csignal>

namespace strata {
namespace {

TEST(Signals, Sigusr1AndSigtermSetTheStopFlag) {
  install_stop_handlers();
  clear_stop_request();
  EXPECT_FALSE(stop_requested());
  std::raise(SIGUSR1);
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGUSR1);
  clear_stop_request();
  std::raise(SIGTERM);  // handled: the test program does not die
  EXPECT_EQ(stop_signal(), SIGTERM);
  clear_stop_request();
  EXPECT_FALSE(stop_requested());
  EXPECT_EQ(kExitCheckpointed, 75);
}

}  // namespace
}  // namespace strata
