// Learning-rate schedules, applied by the loop to each phase's optimizers: the rate at step s of
// a phase of S steps is base_lr * factor(s, S), base_lr being the optimizer's configured lr.
//
//   schedule: {kind: constant}                                   (default)
//   schedule: {kind: cosine, warmup_steps: 100, min_factor: 0.0}  half a cosine from 1 to min
//   schedule: {kind: step, every_epochs: 10, gamma: 0.1}          times gamma every N epochs
// warmup_steps (any kind): linear from 1/warmup to 1 over the first steps.
#pragma once

#include <cstdint>
#include <string>

#include "core/config/yaml_map.h"

namespace strata {

struct ScheduleConfig {
  enum class Kind { kConstant, kCosine, kStep };
  Kind kind = Kind::kConstant;
  int64_t warmup_steps = 0;
  double min_factor = 0.0;   // cosine
  int64_t every_epochs = 0;  // step
  double gamma = 0.1;        // step
};

// The optional `schedule` section of config (defaults when absent).
ScheduleConfig parse_schedule(const YamlMap& config);

// The factor at step s (0-based) of a phase of total_steps steps with steps_per_epoch per epoch.
double schedule_factor(const ScheduleConfig& c, int64_t step, int64_t total_steps,
                       int64_t steps_per_epoch);

}  // namespace strata
