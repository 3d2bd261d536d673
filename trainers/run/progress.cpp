// Progress on rank 0: a bar redrawn in place on a terminal, plain lines in logs. Only ASCII is
// written ('#' and '-' for the bar, "\r" and spaces to redraw and clear it: no escape codes, so
// a forced bar stays readable in a file).
#include "trainers/run/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kRedrawS = 0.1;  // the bar is redrawn at most this often
constexpr double kRateS = 0.5;    // the bar's samples/s is measured over windows this long
constexpr int kBarCells = 20;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// "0:12", "1:02:03"; "?" when unknown.
std::string clock_text(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  const auto t = static_cast<long long>(s + 0.5);
  char buf[48];
  if (t >= 3600)
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", t / 60, t % 60);
  return buf;
}

std::string number(const char* format, double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

// " loss 0.0412 d_loss 0.693"
std::string values_text(const std::vector<std::pair<std::string, double>>& values) {
  std::string s;
  for (const auto& [name, value] : values) s += " " + name + " " + number("%.4g", value);
  return s;
}

}  // namespace

Progress::Progress(ProgressMode mode, int64_t every, std::FILE* out) : out_(out), every_(every) {
  STRATA_CHECK(out != nullptr, "progress: no output stream; this is a bug in the caller");
  STRATA_CHECK(every >= 1, "progress: printing every " << every
                                                       << " steps; set the print interval "
                                                          "(log_every) to 1 or more");
  const bool tty = ::isatty(::fileno(out)) == 1;
  bar_ = mode == ProgressMode::kBar || (mode == ProgressMode::kAuto && tty);
  winsize ws{};
  if (bar_ && tty && ::ioctl(::fileno(out), TIOCGWINSZ, &ws) == 0) columns_ = ws.ws_col;
}

void Progress::begin_phase(const std::string& phase, int64_t total_steps, int64_t done) {
  phase_ = phase;
  total_ = total_steps;
  done_at_start_ = done;
  window_samples_ = window_steps_ = 0;
  window_wait_ = 0;
  rate_ = 0;
  phase_start_ = window_start_ = Clock::now();
  last_draw_ = Clock::time_point{};  // the first step draws at once
}

double Progress::eta_s(int64_t step_in_phase) const {
  const int64_t done = step_in_phase - done_at_start_;
  if (done <= 0 || total_ <= 0) return -1;
  const double per_step = seconds(Clock::now() - phase_start_) / static_cast<double>(done);
  return per_step * static_cast<double>(std::max<int64_t>(0, total_ - step_in_phase));
}

void Progress::step(int64_t step_in_phase, int64_t epoch, int64_t samples,
                    const std::vector<std::pair<std::string, double>>& values,
                    double data_wait_ms) {
  window_samples_ += samples;
  window_steps_ += 1;
  window_wait_ += data_wait_ms;
  const Clock::time_point now = Clock::now();
  const double window = seconds(now - window_start_);
  const bool last = step_in_phase == total_;

  if (bar_) {
    if (!last && seconds(now - last_draw_) < kRedrawS) return;
    if (window >= kRateS || rate_ == 0) {
      if (window > 0) rate_ = static_cast<double>(window_samples_) / window;
      window_samples_ = window_steps_ = 0;
      window_wait_ = 0;
      window_start_ = now;
    }
    last_draw_ = now;
    draw_bar(bar_text(step_in_phase, epoch, values));
    return;
  }

  if (step_in_phase % every_ != 0 && !last) return;
  const double rate = window > 0 ? static_cast<double>(window_samples_) / window : 0;
  const double wait = window_wait_ / static_cast<double>(window_steps_);
  std::string text = phase_ + " epoch " + std::to_string(epoch) + " step " +
                     std::to_string(step_in_phase) + "/" + std::to_string(total_) +
                     values_text(values) + " samples/s " + number("%.0f", rate) + " data_wait_ms " +
                     number("%.2f", wait) + " eta " + clock_text(eta_s(step_in_phase)) + "\n";
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  window_samples_ = window_steps_ = 0;
  window_wait_ = 0;
  window_start_ = now;
}

std::string Progress::bar_text(int64_t step_in_phase, int64_t epoch,
                               const std::vector<std::pair<std::string, double>>& values) const {
  const double frac =
      total_ > 0 ? std::clamp(static_cast<double>(step_in_phase) / total_, 0.0, 1.0) : 0.0;
  const int cells = static_cast<int>(frac * kBarCells);
  std::string text = phase_ + " ep " + std::to_string(epoch) + " [" + std::string(cells, '#') +
                     std::string(kBarCells - cells, '-') + "] " + number("%3.0f", frac * 100) +
                     "% " + std::to_string(step_in_phase) + "/" + std::to_string(total_) + " " +
                     number("%.0f", rate_) + " samples/s eta " + clock_text(eta_s(step_in_phase)) +
                     values_text(values);
  for (char& c : text)  // phase and value names come from the config: keep the line ASCII
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  if (columns_ > 1 && text.size() >= static_cast<size_t>(columns_))
    text.resize(static_cast<size_t>(columns_ - 1));  // a wrapped line cannot be redrawn
  return text;
}

void Progress::draw_bar(const std::string& text) {
  std::string out = "\r" + text;
  if (text.size() < drawn_width_) out += std::string(drawn_width_ - text.size(), ' ');
  std::fputs(out.c_str(), out_);
  std::fflush(out_);
  drawn_width_ = text.size();
}

void Progress::clear_bar() {
  if (drawn_width_ == 0) return;
  std::string blank(drawn_width_ + 2, ' ');
  blank.front() = blank.back() = '\r';
  std::fputs(blank.c_str(), out_);
  drawn_width_ = 0;
}

void Progress::line(const std::string& text) {
  clear_bar();
  std::fputs((text + "\n").c_str(), out_);
  std::fflush(out_);
  last_draw_ = Clock::time_point{};  // the next step redraws the bar at once
}

void Progress::end_phase() {
  // The phase's summary goes through line(); the finished bar is cleared, not left behind.
  clear_bar();
  std::fflush(out_);
}

}  // namespace strata
