// A Sequential model from a YAML section:
//
//   model:
//     input_shape: [1, 28, 28]        # one sample: [C, H, W] or [features]
//     layers:
//       - {type: conv2d, filters: 64, kernel: 4, stride: 2, padding: 1}
//       - {type: leaky_relu, slope: 0.2}
//       - {type: flatten}
//       - {type: dense, units: 1, name: logit}
//
// Layer types and their keys (= default; every layer also takes an optional `name`, which
// defaults to "<index>.<type>" and names its parameters, "<name>.weight"):
//   dense            units, bias = true, init = glorot, init_std = 0.02 (only with init: normal)
//   conv2d           filters, kernel (k or [kh, kw]), stride = 1 (s or [sh, sw]),
//                    padding = valid (same | valid | p | [ph, pw]), bias, init, init_std
//   conv_transpose2d filters, kernel, stride = 1, padding = 0 (p | [ph, pw] | same),
//                    output_padding = 0 (p | [ph, pw]; not with same), bias, init, init_std
//   maxpool2d        kernel = 2, stride = kernel, padding = 0
//   upsample2d       scale = 2 (s or [sh, sw])
//   batchnorm        momentum = 0.1, eps = 1e-5, affine = true
//   dropout          rate (in [0, 1))
//   flatten, relu, sigmoid, tanh   (no keys)
//   leaky_relu       slope = 0.01
//   reshape          shape (a list without the batch dimension; one entry may be -1)
//   init is one of glorot, he, normal, zeros, ones, uniform_fan_in.
//
// parse_model reads and checks everything, shapes included (each layer's build() runs on a probe
// instance), so a bad config fails at load time with the file, line and key path of the entry:
//   net.yaml:9:5: model.layers[3] (dense): dense expects input [N, features], got [1, 64, 7, 7];
//   put a 'flatten' layer before it
// ModelSpec::build then makes the model for a seed, as many times as wanted.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/yaml_map.h"
#include "core/layer.h"
#include "core/sequential.h"
#include "core/shape.h"

namespace strata {

struct LayerSpec {
  std::string type;   // the YAML type, e.g. "dense"
  std::string name;   // the model's name for it (given, or "<index>.<type>")
  std::string where;  // "FILE:LINE:COL: model.layers[3]", for messages
  Shape out_shape;    // one sample's output shape (no batch dimension)
  std::function<std::unique_ptr<Layer>()> make;  // a fresh, unbuilt layer
};

struct ModelSpec {
  Shape input_shape;  // one sample, e.g. [1, 28, 28] or [784]
  std::vector<LayerSpec> layers;
  Shape output_shape() const;  // one sample

  // A built model on `device` (parameters initialised from `seed`, the same values on every
  // device).
  Sequential build(uint64_t seed, Device device = Device::cpu()) const;
};

// The layer types parse_model knows, in the order error messages list them.
const std::vector<std::string>& layer_types();

// Reads `input_shape` and `layers` from `section`, checks every layer and every shape, and calls
// section.finish(). Throws strata::Error with file, line and key path.
ModelSpec parse_model(const YamlMap& section);
// One entry of `layers`, given the shape of one sample entering it.
LayerSpec parse_layer(const YamlValue& entry, int index, const Shape& in_sample);

// A file whose top level is `key: <model section>` and nothing else.
ModelSpec load_model_spec(const std::string& path, const std::string& key = "model");
Sequential load_model_file(const std::string& path, uint64_t seed,
                           const std::string& key = "model");

}  // namespace strata
