#include "trainers/signals.h"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <initializer_list>

namespace strata {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
bool g_stderr_is_terminal = false;  // set before the handler is installed
const char* g_ctrl_c_text = nullptr;
size_t g_ctrl_c_length = 0;

extern "C" void on_stop_signal(int sig) {
  // Async-signal-safe only: a flag, write(2), and for a second Ctrl-C the default action.
  if (sig == SIGINT && g_stop_signal == SIGINT) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  if (g_stop_signal != 0) return;
  g_stop_signal = sig;
  if (sig == SIGINT && g_stderr_is_terminal && g_ctrl_c_text != nullptr) {
    // Ends the line the terminal echoed "^C" on, and says what happens now.
    const ssize_t ignored = ::write(STDERR_FILENO, g_ctrl_c_text, g_ctrl_c_length);
    (void)ignored;
  }
}

}  // namespace

void install_stop_handlers(const char* on_ctrl_c) {
  g_stderr_is_terminal = ::isatty(STDERR_FILENO) == 1;
  if (on_ctrl_c != nullptr) {
    g_ctrl_c_text = on_ctrl_c;
    g_ctrl_c_length = std::strlen(on_ctrl_c);
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and waits in progress carry on; the loop checks the flag
  for (int sig : {SIGUSR1, SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

bool stop_requested() {
  return g_stop_signal != 0;
}

int stop_signal() {
  return g_stop_signal;
}

const char* stop_signal_name() {
  switch (g_stop_signal) {
    case SIGUSR1:
      return "SIGUSR1";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "no signal";
  }
}

void clear_stop_request() {
  g_stop_signal = 0;
}

}  // namespace strata
