// Config sections shared by the autoencoder kinds (trainers/kinds/autoencoder.h and
// stacked_autoencoder.h), read strictly (core/config/yaml_map.h):
//
//   corruption: {kind: mask, p: 0.3}            each input value zeroed with probability p
//   corruption: {kind: gaussian, stddev: 0.2}   x + stddev * N(0, 1)
//   corruption: {kind: none}                    (to switch off a default)
//   sparsity: {kind: kl, target: 0.05, weight: 0.1, layer: code}   layer: a name or an index
//   sparsity: {kind: l1, weight: 1e-4, layer: 2}                   (autoencoder kind only)
//   optimizer: {kind: adam, lr: 0.001, ...}     core/config/optimizer_yaml.h
//
// An optimizer section is checked once at parse time and kept, so that each phase makes its own
// fresh optimizer from it at build time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/yaml_map.h"
#include "core/losses/penalties.h"
#include "core/optim/optimizer.h"
#include "trainers/autoencoder_step.h"

namespace strata {

// A `corruption` map (finished here).
CorruptionOptions parse_corruption(const YamlMap& section);

// A `sparsity` map without its `layer` key (the caller reads that): kind, target, weight.
SparsityOptions parse_sparsity_penalty(const YamlMap& section);

// `layer: <name or index>` of a sparsity section, resolved against layer names (0-based index;
// a negative index counts from the end). Fails naming the key when out of range or unknown.
int parse_layer_ref(const YamlMap& section, const std::string& key,
                    const std::vector<std::string>& layer_names);

// Makes a fresh optimizer each time it is called.
using OptimizerFactory = std::function<std::unique_ptr<Optimizer>()>;
// Checks `section` now (make_optimizer) and returns a factory over it.
OptimizerFactory optimizer_factory(const YamlMap& section);

}  // namespace strata
