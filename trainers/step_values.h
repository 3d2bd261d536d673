// StepValues: what a training step measures (losses, penalties, accuracy, D's outputs), left on the
// step's device. Each value is a float slot that the op computing it writes directly (a loss's
// forward_backward_to, SparsityPenalty::value_to, accuracy, add_values), so a step reads nothing
// back and never waits for the device. The loop adds each step's values to a StepAccumulator
// (on the device too) and reads the sums back once per logging window (trainers/loop/step_log.h).
//
// A logged value is the mean, in double, of a run of slots: one slot for most values, the k
// discriminator steps of a GAN step for d_loss, d_real and d_fake (core/ops/step_values_layout.h).
// Every slot must be written by every step.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/ops/step_values_layout.h"
#include "core/tensor.h"

namespace strata {

class StepValues {
 public:
  // `hint`: what to do when a value stops being finite, e.g. "lower optimizer.lr".
  explicit StepValues(std::string hint) : hint_(std::move(hint)) {}

  // Reserves `count` slots named `name` (the name a non-finite value is reported by); returns the
  // first. Only before place().
  int add_slots(const std::string& name, int count = 1);
  // A logged value `name`: the mean of slots [first, first + count). Only before place().
  void log(const std::string& name, int first, int count = 1);
  // Allocates the slots on `device` (again only when the device changes).
  void place(Device device);

  float* slot(int i);  // on the device; place() first
  const float* slots() const { return slots_.data(); }
  Device device() const { return slots_.device(); }
  const StepValueLayout& layout() const { return layout_; }
  const std::vector<std::string>& names() const { return names_; }  // the logged values, in order
  const std::string& slot_name(int s) const { return slot_names_.at(static_cast<size_t>(s)); }
  const std::string& hint() const { return hint_; }

  // The logged values of the last step on the host (one copy from a device): for tests and tools,
  // never inside a training step.
  std::vector<std::pair<std::string, double>> read() const;
  std::vector<float> read_slots() const;

 private:
  std::string hint_;
  StepValueLayout layout_;
  std::vector<std::string> names_, slot_names_;
  Tensor slots_;
};

// Sums of a phase's step values over a logging window, weighted by each step's samples, on the
// steps' device (core/ops/step_values.h), with the first step at which a slot was not finite.
class StepAccumulator {
 public:
  StepAccumulator() = default;
  StepAccumulator(const StepAccumulator&) = delete;
  StepAccumulator& operator=(const StepAccumulator&) = delete;
  ~StepAccumulator();

  // After a step at `step` on `weight` samples: queued on the values' device, no wait. The first
  // call fixes the layout and the device.
  void add(const StepValues& v, int64_t weight, int64_t step);
  bool empty() const { return values_ == nullptr; }

  struct Sums {
    std::vector<double> sums;  // per logged value: the sum of value * weight
    int64_t bad_step = -1;     // the first step with a non-finite slot, -1 if none
    int bad_slot = -1;         // and that slot
    double bad_value = 0;      // and its value
  };
  // The sums so far (one copy from a device, which waits for the steps queued before it).
  Sums read() const;
  // Every sum back to 0 (queued on the device).
  void clear();

 private:
  const StepValues* values_ = nullptr;
  Device device_ = Device::cpu();
  double* acc_ = nullptr;  // step_accumulator_size(layout) doubles on device_
  size_t acc_bytes_ = 0;
};

}  // namespace strata
