// Optimizers from a config section:
//   optimizer: {kind: adam | adamw | sgd, lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8,
//               weight_decay: 0, momentum: 0, nesterov: false}
// (beta1, beta2, eps: adam/adamw only; momentum, nesterov: sgd only).
#pragma once

#include <memory>

#include "core/config/yaml_map.h"
#include "core/optim/optimizer.h"

namespace strata {

std::unique_ptr<Optimizer> make_optimizer(const YamlMap& section);

}  // namespace strata
