// poll_until with fake probes: no GPU needed. Run without mpirun (strata_test_distributed_poll).
#include "distributed/poll.h"

#include <gtest/gtest.h>
#include <time.h>  // defines: clock_gettime, CLOCK_THREAD_CPUTIME_ID

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/error.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(PollUntil, DoneAtFirstProbe) {
  int probes = 0;
  EXPECT_EQ(poll_until(
                [&] {
                  ++probes;
                  return PollState::kDone;
                },
                1.0),
            PollResult::kDone);
  EXPECT_EQ(probes, 1);
}

// Done after k probes, for k inside the spin phase, the yield phase and the sleep phase: each
// probe is made exactly once, and no more after done.
TEST(PollUntil, DoneAfterKProbes) {
  for (int k : {2, 50, 150, 260}) {
    int probes = 0;
    const PollResult result =
        poll_until([&] { return ++probes == k ? PollState::kDone : PollState::kPending; }, 10.0);
    EXPECT_EQ(result, PollResult::kDone) << "k=" << k;
    EXPECT_EQ(probes, k);
  }
}

TEST(PollUntil, FailureEndsTheWaitAtOnce) {
  int probes = 0;
  const PollResult result =
      poll_until([&] { return ++probes == 3 ? PollState::kFailed : PollState::kPending; }, 10.0);
  EXPECT_EQ(result, PollResult::kFailed);
  EXPECT_EQ(probes, 3);  // not one probe more
}

// A probe that is never done times out, not before the timeout.
TEST(PollUntil, NeverDoneTimesOut) {
  int probes = 0;
  const Clock::time_point start = Clock::now();
  const PollResult result = poll_until(
      [&] {
        ++probes;
        return PollState::kPending;
      },
      0.05);
  const double elapsed = seconds_since(start);
  EXPECT_EQ(result, PollResult::kTimedOut);
  EXPECT_GE(elapsed, 0.05);
  EXPECT_GT(probes, 1);
}

TEST(PollUntil, ZeroTimeoutStillProbes) {
  int probes = 0;
  EXPECT_EQ(poll_until(
                [&] {
                  ++probes;
                  return PollState::kPending;
                },
                0.0),
            PollResult::kTimedOut);
  EXPECT_GE(probes, 1);
  probes = 0;
  EXPECT_EQ(poll_until(
                [&] {
                  ++probes;
                  return PollState::kDone;
                },
                0.0),
            PollResult::kDone);
  EXPECT_EQ(probes, 1);
}

// The probe after the deadline reports an operation that finished during the last pause as done.
TEST(PollUntil, FinishedAtTheDeadlineIsDone) {
  const Clock::time_point start = Clock::now();
  const PollResult result = poll_until(
      [&] { return seconds_since(start) >= 0.02 ? PollState::kDone : PollState::kPending; }, 0.02);
  EXPECT_EQ(result, PollResult::kDone);
}

// A long wait sleeps rather than spins: after its spins and yields, every probe follows a sleep
// of at least the minimum, so 0.3 s take at most spins + yields + 0.3 / min_sleep + 1 probes
// however fast or busy the machine is (a spinning wait makes millions).
TEST(PollUntil, LongWaitSleepsBetweenProbes) {
  const Backoff backoff;
  int64_t probes = 0;
  EXPECT_EQ(poll_until(
                [&] {
                  ++probes;
                  return PollState::kPending;
                },
                0.3, backoff),
            PollResult::kTimedOut);
  const double bound = backoff.spins + backoff.yields + 0.3 / backoff.min_sleep_s + 1;
  EXPECT_LE(static_cast<double>(probes), bound);
}

TEST(PollUntil, InfiniteTimeoutWaitsUntilDone) {
  int probes = 0;
  EXPECT_EQ(poll_until([&] { return ++probes == 400 ? PollState::kDone : PollState::kPending; },
                       std::numeric_limits<double>::infinity()),
            PollResult::kDone);
  EXPECT_EQ(probes, 400);
}

TEST(PollUntil, CustomBackoffSleepsFromTheStart) {
  Backoff backoff;
  backoff.spins = 0;
  backoff.yields = 0;
  backoff.min_sleep_s = 1e-3;
  backoff.max_sleep_s = 1e-3;
  int probes = 0;
  const Clock::time_point start = Clock::now();
  EXPECT_EQ(poll_until([&] { return ++probes == 5 ? PollState::kDone : PollState::kPending; }, 10.0,
                       backoff),
            PollResult::kDone);
  EXPECT_GE(seconds_since(start), 4e-3);  // four pauses of 1 ms before the fifth probe
}

TEST(PollUntil, ProbeExceptionsPropagate) {
  EXPECT_THROW(poll_until([]() -> PollState { throw std::runtime_error("probe"); }, 1.0),
               std::runtime_error);
}

TEST(PollUntil, RejectsBadArguments) {
  auto done = [] { return PollState::kDone; };
  EXPECT_THROW(poll_until(done, -1.0), Error);
  EXPECT_THROW(poll_until(done, std::nan("")), Error);
  Backoff backoff;
  backoff.min_sleep_s = 0;
  EXPECT_THROW(poll_until(done, 1.0, backoff), Error);
}

}  // namespace
}  // namespace strata
