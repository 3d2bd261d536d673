#include "core/init.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace strata {

InitSpec::Kind parse_init_kind(const std::string& name) {
  using K = InitSpec::Kind;
  if (name == "glorot") return K::kGlorotUniform;
  if (name == "he") return K::kHeNormal;
  if (name == "normal") return K::kNormal;
  if (name == "zeros") return K::kZeros;
  if (name == "ones") return K::kOnes;
  if (name == "uniform_fan_in") return K::kUniformFanIn;
  STRATA_THROW("unknown initialiser '" << name
                                       << "'; use one of glorot, he, normal, zeros, ones, "
                                          "uniform_fan_in");
}

void initialize(Tensor& t, const InitSpec& spec, uint64_t seed, uint32_t param_index) {
  const int64_t n = t.numel();
  float* p = t.data();
  RandomStream rng(seed, RngPurpose::kInit, param_index, 0, 0);
  switch (spec.kind) {
    case InitSpec::Kind::kZeros:
      t.fill(0.0f);
      return;
    case InitSpec::Kind::kOnes:
      t.fill(1.0f);
      return;
    case InitSpec::Kind::kGlorotUniform: {  // U(-a, a), a = sqrt(6 / (fan_in + fan_out))
      const float a = std::sqrt(6.0f / static_cast<float>(spec.fan_in + spec.fan_out));
      for (int64_t i = 0; i < n; ++i) p[i] = (2.0f * rng.uniform() - 1.0f) * a;
      return;
    }
    case InitSpec::Kind::kHeNormal: {  // N(0, 2 / fan_in)
      const float s = std::sqrt(2.0f / static_cast<float>(spec.fan_in));
      for (int64_t i = 0; i < n; ++i) p[i] = rng.normal() * s;
      return;
    }
    case InitSpec::Kind::kNormal:
      for (int64_t i = 0; i < n; ++i) p[i] = rng.normal() * spec.stddev;
      return;
    case InitSpec::Kind::kUniformFanIn: {  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), biases
      const float a = 1.0f / std::sqrt(static_cast<float>(spec.fan_in));
      for (int64_t i = 0; i < n; ++i) p[i] = (2.0f * rng.uniform() - 1.0f) * a;
      return;
    }
  }
}

}  // namespace strata
