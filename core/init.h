// Parameter initialisers. Each draws from the counter-based RNG keyed by (seed, parameter index),
// so a model's initial parameters depend only on the seed.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace strata {

struct InitSpec {
  enum class Kind { kZeros, kOnes, kGlorotUniform, kHeNormal, kNormal, kUniformFanIn };
  Kind kind = Kind::kZeros;
  float stddev = 0.02f;  // kNormal
  int64_t fan_in = 1, fan_out = 1;

  static InitSpec zeros() { return {Kind::kZeros}; }
  static InitSpec ones() { return {Kind::kOnes}; }
};

// Parses "glorot", "he", "normal" (with stddev), "zeros", "ones"; throws for anything else.
InitSpec::Kind parse_init_kind(const std::string& name);

void initialize(Tensor& t, const InitSpec& spec, uint64_t seed, uint32_t param_index);

}  // namespace strata
