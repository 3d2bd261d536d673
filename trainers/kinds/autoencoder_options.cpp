// Strict parsing of the corruption, sparsity and optimizer sections of the autoencoder kinds.
#include "trainers/kinds/autoencoder_options.h"

#include "core/config/optimizer_yaml.h"
#include "core/config/schema_recorder.h"
#include "core/error.h"

namespace strata {

CorruptionOptions parse_corruption(const YamlMap& s) {
  const SchemaScope schema(s, "@corruption");
  CorruptionOptions o;
  const std::string kind = s.get_choice("kind", {"mask", "gaussian", "none"});
  if (kind == "none") {
    o.kind = CorruptionKind::kNone;
  } else if (kind == "mask") {
    o.kind = CorruptionKind::kMask;
    o.p = s.get_float("p", {0.0, 1.0, false, true});
  } else {
    o.kind = CorruptionKind::kGaussian;
    o.stddev = s.get_float("stddev", RealRange::non_negative());
  }
  s.finish();
  return o;
}

SparsityOptions parse_sparsity_penalty(const YamlMap& s) {
  const SchemaScope schema(s, "@sparsity");
  SparsityOptions o;
  const std::string kind = s.get_choice("kind", {"kl", "l1"});
  o.kind = kind == "kl" ? SparsityOptions::Kind::kKL : SparsityOptions::Kind::kL1;
  if (o.kind == SparsityOptions::Kind::kKL) o.rho = s.get_float("target", {0.0, 1.0, true, true});
  o.weight = s.get_float("weight", RealRange::non_negative());
  return o;
}

int parse_layer_ref(const YamlMap& s, const std::string& key,
                    const std::vector<std::string>& names) {
  const YamlValue v = s.get(key, "a layer name or index");
  const int64_t count = static_cast<int64_t>(names.size());
  if (v.is_int()) {
    int64_t i = v.as_int();
    if (i < 0) i += count;
    if (i < 0 || i >= count)
      v.fail("layer index " + std::to_string(v.as_int()) + " is out of range: the model has " +
             std::to_string(count) + " layers (0.." + std::to_string(count - 1) +
             ", or -1 for the last)");
    return static_cast<int>(i);
  }
  const std::string name = v.as_string();
  for (int64_t i = 0; i < count; ++i)
    if (names[i] == name) return static_cast<int>(i);
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  v.fail("no layer named '" + name + "'; the layers are: " + known);
}

OptimizerFactory optimizer_factory(const YamlMap& section) {
  (void)make_optimizer(section);  // checks every key now, with file and line
  return [section] { return make_optimizer(section); };
}

}  // namespace strata
