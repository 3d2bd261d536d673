// Internal to the training loop: the logging of training steps. Each step's values (on the
// step's device, trainers/step_values.h) are added to a window on that device, weighted by this
// rank's samples; nothing is read back per step. At every logging step (every
// logging.every_steps steps of an epoch, and its last) the window's sums are read back once,
// checked for a value that stopped being finite, and their means over all ranks' samples go to
// metrics.jsonl (rank 0) and to the progress display, with the learning rates, the throughput and
// the mean data wait.
// Before anything else persists the run (a checkpoint, pictures, a stop), the loop calls check().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "distributed/communicator.h"
#include "trainers/phase.h"
#include "trainers/run/metrics_log.h"
#include "trainers/step_values.h"

namespace strata::loop {

class StepLog {
 public:
  using Clock = std::chrono::steady_clock;

  // metrics: rank 0's log, nullptr on the other ranks.
  StepLog(Communicator& comm, MetricsLog* metrics)
      : comm_(comm), metrics_(metrics), window_start_(Clock::now()) {}

  // After the step at global step `step` on this rank's n samples that waited `wait_ms` for its
  // batch: v's values are added on their device (no wait). Every step passes the same values.
  void add(const StepValues& v, int64_t n, int64_t step, double wait_ms);
  // Reads the window's sums back (one copy, only once per window) and throws if a value of a step
  // of this window was not finite, naming the value, the first such step and what to do.
  void check();
  // A logging step (collective): check(), then the window's means over ranks written at (global
  // step, epoch 1-based, phase) with the learning rates lr (the same on every rank) and shown
  // from now on; the window starts again.
  void write(int64_t global_step, int64_t epoch, const std::string& phase, const Metrics& lr);
  // The values the progress display shows: the last logged means (none before the first).
  const Metrics& shown() const { return shown_; }

 private:
  Communicator& comm_;
  MetricsLog* metrics_;
  const StepValues* values_ = nullptr;
  StepAccumulator acc_;                           // per value: sum of value * samples
  std::optional<StepAccumulator::Sums> checked_;  // the window's sums, read since the last add
  int64_t steps_ = 0, samples_ = 0;
  double wait_ms_ = 0;
  Metrics shown_;
  Clock::time_point window_start_;
};

}  // namespace strata::loop
