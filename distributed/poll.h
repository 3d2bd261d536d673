// Waiting on an asynchronous operation (a GPU collective, a communicator's initialisation) by
// polling, with a deadline. Kept free of CUDA and NCCL so that the timing logic is tested on
// machines without a GPU (tests/distributed/poll_test.cpp); NcclCommunicator supplies the probe.
//
// Why poll instead of cudaEventSynchronize / cudaStreamSynchronize: a blocking wait cannot be
// abandoned, so a rank whose peer died would hang forever inside it; a polled wait notices the
// deadline and a communicator's asynchronous error, and the caller can then abort.
#pragma once

#include <functional>

namespace strata {

// What one look at the operation found.
enum class PollState {
  kPending,  // not finished yet; look again
  kDone,     // finished successfully
  kFailed,   // finished with an error (the probe's owner knows which)
};

// How poll_until ended.
enum class PollResult { kDone, kFailed, kTimedOut };

// How patiently to look. Short operations (a small all-reduce) finish within microseconds, so the
// first probes spin; longer ones then sleep between probes, doubling the pause up to max_sleep_s,
// so that a long GPU wait does not burn a CPU core that data loading needs. max_sleep_s bounds
// the latency added to a wait (~1 ms against collectives of ~10 ms and more).
struct Backoff {
  int spins = 100;             // probes in a tight loop before the first pause
  int yields = 100;            // then probes separated by std::this_thread::yield()
  double min_sleep_s = 10e-6;  // then sleeps starting here...
  double max_sleep_s = 1e-3;   // ...doubling up to this cap
};

// Calls probe until it returns kDone or kFailed, or until timeout_s seconds have passed
// (kTimedOut). The probe is always called at least once, and once more after the deadline, so an
// operation that finished during the last pause is reported done rather than timed out.
// timeout_s: seconds, >= 0; infinity waits without a deadline. Exceptions from probe propagate.
PollResult poll_until(const std::function<PollState()>& probe, double timeout_s,
                      const Backoff& backoff = {});

}  // namespace strata
