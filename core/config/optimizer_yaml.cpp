#include "core/config/optimizer_yaml.h"

#include "core/config/schema_recorder.h"

namespace strata {

std::unique_ptr<Optimizer> make_optimizer(const YamlMap& s) {
  const SchemaScope schema(s, "@optimizer");
  const std::string kind = s.get_choice("kind", {"adam", "adamw", "sgd"});
  const RealRange positive = RealRange::positive(), nonneg = RealRange::non_negative();
  std::unique_ptr<Optimizer> opt;
  if (kind == "sgd") {
    SGDOptions o;
    o.lr = s.get_float("lr", positive);
    o.momentum = s.get_float_or("momentum", 0.0f, {0.0, 1.0, false, true});
    o.nesterov = s.get_bool_or("nesterov", false);
    o.weight_decay = s.get_float_or("weight_decay", 0.0f, nonneg);
    if (o.nesterov && o.momentum == 0.0f) s.fail("nesterov: true needs a momentum > 0");
    opt = std::make_unique<SGD>(o);
  } else {
    AdamOptions o;
    o.lr = s.get_float("lr", positive);
    o.beta1 = s.get_float_or("beta1", 0.9f, {0.0, 1.0, false, true});
    o.beta2 = s.get_float_or("beta2", 0.999f, {0.0, 1.0, false, true});
    o.eps = s.get_float_or("eps", 1e-8f, positive);
    o.weight_decay = s.get_float_or("weight_decay", 0.0f, nonneg);
    o.decoupled = kind == "adamw";
    opt = std::make_unique<Adam>(o);
  }
  s.finish();
  return opt;
}

}  // namespace strata
