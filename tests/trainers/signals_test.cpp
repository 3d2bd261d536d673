// The stop handlers: SIGUSR1, SIGTERM, SIGINT or SIGHUP only sets a flag (the first signal's),
// read at the next step boundary.
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

TEST(Signals, SigintAndSighupStopToo) {
  install_stop_handlers();
  clear_stop_request();
  std::raise(SIGHUP);  // handled: the test program does not die
  EXPECT_EQ(stop_signal(), SIGHUP);
  EXPECT_STREQ(stop_signal_name(), "SIGHUP");
  std::raise(SIGUSR1);  // a later signal does not replace the first
  EXPECT_EQ(stop_signal(), SIGHUP);
  clear_stop_request();
  std::raise(SIGINT);  // the first Ctrl-C: a flag (a second would end the process)
  EXPECT_EQ(stop_signal(), SIGINT);
  EXPECT_STREQ(stop_signal_name(), "SIGINT");
  clear_stop_request();
  EXPECT_STREQ(stop_signal_name(), "no signal");
}

}  // namespace
}  // namespace strata
