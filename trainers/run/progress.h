// Progress on rank 0. On a terminal: one bar redrawn in place ("\r") with the phase, epoch,
// percent of the phase, samples/s, ETA of the phase and the latest losses, at most ~10 times a
// second. Otherwise (a SLURM log, a pipe): plain lines every `every` steps, which is what
// `strata train` printed so far:
//   pretrain_1 epoch 1 step 50/234 loss 0.0412 samples/s 40960 data_wait_ms 0.05 eta 0:12
// Lines that must stay (epoch summaries) go through line(), which clears the bar first.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace strata {

enum class ProgressMode { kAuto, kBar, kLines };  // auto: bar when stdout is a terminal

class Progress {
 public:
  Progress(ProgressMode mode, int64_t every, std::FILE* out = stdout);
  bool bar() const { return bar_; }
  // Starts a phase of total_steps steps (resumed phases pass the steps already done).
  void begin_phase(const std::string& phase, int64_t total_steps, int64_t done = 0);
  // After each step: the step within the phase (1-based), epoch (1-based), samples in the step,
  // and the values to show. Prints (bar: throttled; lines: every `every` steps).
  void step(int64_t step_in_phase, int64_t epoch, int64_t samples,
            const std::vector<std::pair<std::string, double>>& values, double data_wait_ms);
  // A line that stays (clears the bar first).
  void line(const std::string& text);
  void end_phase();

 private:
  // The bar's text for the current state; clear_bar() blanks the drawn bar.
  std::string bar_text(int64_t step_in_phase, int64_t epoch,
                       const std::vector<std::pair<std::string, double>>& values) const;
  void draw_bar(const std::string& text);
  void clear_bar();
  // Seconds left in the phase at the rate since begin_phase (-1: not known yet).
  double eta_s(int64_t step_in_phase) const;

  std::FILE* out_;
  bool bar_;
  int64_t every_;
  int columns_ = 0;  // terminal width (bar mode on a terminal), 0: unknown
  std::string phase_;
  int64_t total_ = 0, done_at_start_ = 0, window_samples_ = 0, window_steps_ = 0;
  double window_wait_ = 0;
  double rate_ = 0;         // samples/s over the last window (bar: shown between windows)
  size_t drawn_width_ = 0;  // characters of the bar now on the terminal (0: none)
  std::chrono::steady_clock::time_point phase_start_, window_start_, last_draw_;
};

}  // namespace strata
