// Internal to the training loop: the logging of training steps. Each step's values are added to
// a window, weighted by this rank's samples; at every logging step (every logging.every_steps
// steps of an epoch, and its last) the window's means over all ranks' samples go to metrics.jsonl
// (rank 0) and to the progress display, with the throughput and the mean data wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "distributed/communicator.h"
#include "trainers/phase.h"
#include "trainers/run/metrics_log.h"

namespace strata::loop {

class StepLog {
 public:
  using Clock = std::chrono::steady_clock;

  // metrics: rank 0's log, nullptr on the other ranks.
  StepLog(Communicator& comm, MetricsLog* metrics)
      : comm_(comm), metrics_(metrics), window_start_(Clock::now()) {}

  // After a step of this rank's n samples that waited `wait_ms` for its batch.
  void add(const Metrics& m, int64_t n, double wait_ms);
  // A logging step (collective): the window's means over ranks written at (global step, epoch
  // 1-based, phase) and shown from now on; the window starts again.
  void write(int64_t global_step, int64_t epoch, const std::string& phase);
  // The values the progress display shows: the last logged means, or `m` before the first.
  const Metrics& shown(const Metrics& m) const { return shown_.empty() ? m : shown_; }

 private:
  Communicator& comm_;
  MetricsLog* metrics_;
  Metrics sum_;  // per name: the sum of value * samples over the window
  int64_t steps_ = 0, samples_ = 0;
  double wait_ms_ = 0;
  Metrics shown_;
  Clock::time_point window_start_;
};

}  // namespace strata::loop
