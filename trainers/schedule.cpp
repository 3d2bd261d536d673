#include "trainers/schedule.h"

#include <algorithm>
#include <cmath>

namespace strata {

ScheduleConfig parse_schedule(const YamlMap& config) {
  ScheduleConfig c;
  const auto s = config.find_map("schedule");
  if (!s) return c;
  const std::string kind = s->get_choice_or("kind", {"constant", "cosine", "step"}, "constant");
  c.kind = kind == "cosine" ? ScheduleConfig::Kind::kCosine
           : kind == "step" ? ScheduleConfig::Kind::kStep
                            : ScheduleConfig::Kind::kConstant;
  c.warmup_steps = s->get_int_or("warmup_steps", 0, IntRange::non_negative());
  if (c.kind == ScheduleConfig::Kind::kCosine)
    c.min_factor = s->get_double_or("min_factor", 0.0, {0.0, 1.0});
  if (c.kind == ScheduleConfig::Kind::kStep) {
    c.every_epochs = s->get_int("every_epochs", IntRange::positive());
    c.gamma = s->get_double_or("gamma", 0.1, RealRange::positive());
  }
  s->finish();
  return c;
}

double schedule_factor(const ScheduleConfig& c, int64_t step, int64_t total_steps,
                       int64_t steps_per_epoch) {
  double f = 1.0;
  switch (c.kind) {
    case ScheduleConfig::Kind::kConstant:
      break;
    case ScheduleConfig::Kind::kCosine: {
      const double t = total_steps > 1 ? static_cast<double>(step) / (total_steps - 1) : 0.0;
      f = c.min_factor + (1.0 - c.min_factor) * 0.5 * (1.0 + std::cos(M_PI * std::min(t, 1.0)));
      break;
    }
    case ScheduleConfig::Kind::kStep: {
      const int64_t epoch = steps_per_epoch > 0 ? step / steps_per_epoch : 0;
      f = std::pow(c.gamma, static_cast<double>(epoch / c.every_epochs));
      break;
    }
  }
  if (c.warmup_steps > 0 && step < c.warmup_steps)
    f *= static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
  return f;
}

}  // namespace strata
