#include "distributed/poll.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>

#include "core/error.h"

namespace strata {

PollResult poll_until(const std::function<PollState()>& probe, double timeout_s,
                      const Backoff& backoff) {
  STRATA_CHECK(timeout_s >= 0 && !std::isnan(timeout_s),
               "poll_until: timeout " << timeout_s << " s must be >= 0 (infinity: no deadline)");
  STRATA_CHECK(backoff.min_sleep_s > 0 && backoff.max_sleep_s >= backoff.min_sleep_s,
               "poll_until: backoff sleeps must satisfy 0 < min_sleep_s <= max_sleep_s, got "
                   << backoff.min_sleep_s << " and " << backoff.max_sleep_s);
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  // An infinite (or absurdly long) timeout would overflow the clock's duration type.
  const bool has_deadline = std::isfinite(timeout_s) && timeout_s < 1e9;
  const Clock::time_point deadline = has_deadline
                                         ? start + std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::duration<double>(timeout_s))
                                         : Clock::time_point::max();

  auto finished = [](PollState s) { return s != PollState::kPending; };
  auto result_of = [](PollState s) {
    return s == PollState::kDone ? PollResult::kDone : PollResult::kFailed;
  };

  double sleep_s = backoff.min_sleep_s;
  for (int64_t probes = 0;; ++probes) {
    const PollState state = probe();
    if (finished(state)) return result_of(state);
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      // One last look: the operation may have finished while we slept past the deadline.
      const PollState last = probe();
      return finished(last) ? result_of(last) : PollResult::kTimedOut;
    }
    if (probes < backoff.spins) continue;
    if (probes < static_cast<int64_t>(backoff.spins) + backoff.yields) {
      std::this_thread::yield();
      continue;
    }
    // Never sleep past the deadline by more than the time it takes to wake up.
    const double left_s = std::chrono::duration<double>(deadline - now).count();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(sleep_s, left_s)));
    sleep_s = std::min(sleep_s * 2, backoff.max_sleep_s);
  }
}

}  // namespace strata
