#include "trainers/loop/step_log.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace strata::loop {

void StepLog::add(const Metrics& m, int64_t n, double wait_ms) {
  if (sum_.empty()) {
    sum_ = m;
    for (auto& kv : sum_) kv.second = 0;
  }
  for (size_t i = 0; i < m.size() && i < sum_.size(); ++i) sum_[i].second += m[i].second * n;
  ++steps_;
  samples_ += n;
  wait_ms_ += wait_ms;
}

void StepLog::write(int64_t global_step, int64_t epoch, const std::string& phase) {
  // Sums of value * samples and the samples over all ranks: their ratio is the mean over the
  // global batches, exact also when ranks hold different numbers of samples. Every rank has the
  // same names in the same order.
  std::vector<double> v;
  for (const auto& kv : sum_) v.push_back(kv.second);
  v.push_back(static_cast<double>(samples_));
  v.push_back(wait_ms_ / std::max<int64_t>(steps_, 1));
  if (comm_.size() > 1)
    comm_.all_reduce(v.data(), static_cast<int64_t>(v.size()), DataType::kF64, ReduceOp::kSum);
  Metrics mean = sum_;
  const double n = std::max(1.0, v[sum_.size()]);
  for (size_t i = 0; i < mean.size(); ++i) mean[i].second = v[i] / n;
  const double wait = v.back() / comm_.size();
  shown_ = mean;
  if (metrics_ != nullptr) {
    std::vector<std::pair<std::string, double>> rec(mean.begin(), mean.end());
    const double secs = std::chrono::duration<double>(Clock::now() - window_start_).count();
    rec.emplace_back("samples_per_s", secs > 0 ? samples_ * comm_.size() / secs : 0);
    rec.emplace_back("data_wait_ms", wait);
    metrics_->write(global_step, epoch, phase, rec);
  }
  for (auto& kv : sum_) kv.second = 0;
  steps_ = samples_ = 0;
  wait_ms_ = 0;
  window_start_ = Clock::now();
}

}  // namespace strata::loop
