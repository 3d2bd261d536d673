#include "trainers/loop/step_log.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/error.h"

namespace strata::loop {

void StepLog::add(const StepValues& v, int64_t n, int64_t step, double wait_ms) {
  values_ = &v;
  acc_.add(v, n, step);
  checked_.reset();
  ++steps_;
  samples_ += n;
  wait_ms_ += wait_ms;
}

void StepLog::check() {
  if (checked_ || values_ == nullptr) return;
  checked_ = acc_.read();
  const StepAccumulator::Sums& s = *checked_;
  STRATA_CHECK(s.bad_step < 0, "the " << values_->slot_name(s.bad_slot) << " became " << s.bad_value
                                      << " at step " << s.bad_step
                                      << " (found when the window's values were read back; nothing "
                                         "after that step was saved); "
                                      << values_->hint());
}

void StepLog::write(int64_t global_step, int64_t epoch, const std::string& phase,
                    const Metrics& lr) {
  check();
  // Sums of value * samples and the samples over all ranks: their ratio is the mean over the
  // global batches, exact also when ranks hold different numbers of samples. Every rank has the
  // same names in the same order.
  std::vector<double> v;
  if (checked_) v = checked_->sums;
  const size_t count = v.size();
  v.push_back(static_cast<double>(samples_));
  v.push_back(wait_ms_ / std::max<int64_t>(steps_, 1));
  if (comm_.size() > 1)
    comm_.all_reduce(v.data(), static_cast<int64_t>(v.size()), DataType::kF64, ReduceOp::kSum);
  Metrics mean;
  const double n = std::max(1.0, v[count]);
  for (size_t i = 0; i < count; ++i) mean.emplace_back(values_->names()[i], v[i] / n);
  const double wait = v.back() / comm_.size();
  shown_ = mean;
  if (metrics_ != nullptr) {
    std::vector<std::pair<std::string, double>> rec(mean.begin(), mean.end());
    rec.insert(rec.end(), lr.begin(), lr.end());
    const double secs = std::chrono::duration<double>(Clock::now() - window_start_).count();
    rec.emplace_back("samples_per_s", secs > 0 ? samples_ * comm_.size() / secs : 0);
    rec.emplace_back("data_wait_ms", wait);
    metrics_->write(global_step, epoch, phase, rec);
  }
  acc_.clear();
  checked_ = StepAccumulator::Sums{std::vector<double>(count, 0.0)};
  steps_ = samples_ = 0;
  wait_ms_ = 0;
  window_start_ = Clock::now();
}

}  // namespace strata::loop
