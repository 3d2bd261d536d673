// StepValues and StepAccumulator (trainers/step_values.h).
#include "trainers/step_values.h"

#include "core/backend.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/ops/kernels/step_values.h"
#include "core/ops/step_values.h"

namespace strata {

int StepValues::add_slots(const std::string& name, int count) {
  STRATA_CHECK(slots_.empty(), "StepValues: slot " << name << " added after place()");
  STRATA_CHECK(count > 0, "StepValues: slot " << name << " needs a count > 0, got " << count);
  const int first = layout_.slots;
  for (int i = 0; i < count; ++i) slot_names_.push_back(name);
  layout_.slots += count;
  return first;
}

void StepValues::log(const std::string& name, int first, int count) {
  STRATA_CHECK(slots_.empty(), "StepValues: value " << name << " logged after place()");
  STRATA_CHECK(layout_.values < kMaxStepValues,
               "StepValues: more than " << kMaxStepValues << " logged values (" << name << ")");
  STRATA_CHECK(count > 0 && first >= 0 && first + count <= layout_.slots,
               "StepValues: value " << name << " takes slots [" << first << ", " << first + count
                                    << ") of " << layout_.slots);
  layout_.first[layout_.values] = first;
  layout_.count[layout_.values] = count;
  ++layout_.values;
  names_.push_back(name);
}

void StepValues::place(Device device) {
  STRATA_CHECK(layout_.slots > 0, "StepValues: no slots to place");
  if (slots_.empty() || !(slots_.device() == device)) slots_ = Tensor(Shape{layout_.slots}, device);
}

float* StepValues::slot(int i) {
  STRATA_CHECK(!slots_.empty() && i >= 0 && i < layout_.slots,
               "StepValues: slot " << i << " of " << layout_.slots
                                   << (slots_.empty() ? " before place()" : ""));
  return slots_.data() + i;
}

std::vector<float> StepValues::read_slots() const {
  const Tensor host = slots_.to(Device::cpu());
  return std::vector<float>(host.data(), host.data() + host.numel());
}

std::vector<std::pair<std::string, double>> StepValues::read() const {
  const std::vector<float> s = read_slots();
  std::vector<std::pair<std::string, double>> out;
  for (int i = 0; i < layout_.values; ++i)
    out.emplace_back(names_[static_cast<size_t>(i)], step_value(layout_, s.data(), i));
  return out;
}

StepAccumulator::~StepAccumulator() {
  if (acc_ != nullptr) allocator_for(device_).deallocate(acc_, acc_bytes_);
}

void StepAccumulator::add(const StepValues& v, int64_t weight, int64_t step) {
  if (values_ == nullptr) {
    values_ = &v;
    device_ = v.device();
    acc_bytes_ = static_cast<size_t>(step_accumulator_size(v.layout())) * sizeof(double);
    acc_ = static_cast<double*>(allocator_for(device_).allocate(acc_bytes_));
    clear();
  }
  STRATA_CHECK(values_ == &v && device_ == v.device(),
               "StepAccumulator: a window takes the values of one step, on one device");
  dispatch(backend_for(device_), [&](auto& be) {
    accumulate_step_values(be, v.layout(), v.slots(), weight, step, acc_);
  });
}

StepAccumulator::Sums StepAccumulator::read() const {
  Sums s;
  if (values_ == nullptr) return s;
  const StepValueLayout& l = values_->layout();
  std::vector<double> host(static_cast<size_t>(step_accumulator_size(l)));
  copy_bytes(host.data(), Device::cpu(), acc_, device_, host.size() * sizeof(double),
             backend_for(device_).stream());
  s.sums.assign(host.begin(), host.begin() + l.values);
  s.bad_step = static_cast<int64_t>(host[static_cast<size_t>(l.values)]);
  s.bad_slot = static_cast<int>(host[static_cast<size_t>(l.values) + 1]);
  s.bad_value = host[static_cast<size_t>(l.values) + 2];
  return s;
}

void StepAccumulator::clear() {
  if (values_ == nullptr) return;
  dispatch(backend_for(device_), [&](auto& be) { clear_step_sums(be, values_->layout(), acc_); });
}

}  // namespace strata
