#include "core/config/model_yaml.h"

#include <algorithm>
#include <limits>

#include "core/config/schema_recorder.h"
#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"
#include "core/layers/dense.h"
#include "core/layers/dropout.h"
#include "core/layers/pooling.h"
#include "core/layers/reshape.h"
#include "core/strings.h"

namespace strata {

namespace {

using Factory = std::function<std::unique_ptr<Layer>()>;

template <class L, class... Args>
Factory factory(Args... args) {
  return [=] { return std::make_unique<L>(args...); };
}

// A batch-1 shape without its batch dimension.
Shape drop_batch(const Shape& s) {
  switch (s.rank()) {
    case 2:
      return Shape{s[1]};
    case 3:
      return Shape{s[1], s[2]};
    case 4:
      return Shape{s[1], s[2], s[3]};
    default:
      return Shape{};
  }
}

struct Pair {
  int64_t h = 0, w = 0;
};

// An integer for both axes, or [h, w].
Pair as_pair(const YamlValue& v, IntRange range) {
  if (v.is_list()) {
    const std::vector<int64_t> l = v.as_int_list(range, 2, 2);
    return {l[0], l[1]};
  }
  if (!v.is_int())
    v.fail("expected " + range.describe() + " or a list [h, w] of two, found " + v.describe());
  const int64_t k = v.as_int(range);
  return {k, k};
}

Pair pair_or(const YamlMap& m, const std::string& key, Pair fallback, IntRange range) {
  auto v = m.find(key);
  return v ? as_pair(*v, range) : fallback;
}

Pair pair_required(const YamlMap& m, const std::string& key, IntRange range) {
  return as_pair(m.get(key, range.describe() + " or [h, w]"), range);
}

struct InitChoice {
  InitSpec::Kind kind = InitSpec::Kind::kGlorotUniform;
  float stddev = 0.02f;
};

// `init` and `init_std` (the latter only with init: normal, where it means something).
InitChoice read_init(const YamlMap& m) {
  static const std::vector<std::string> kInits = {"glorot", "he",   "normal",
                                                  "zeros",  "ones", "uniform_fan_in"};
  InitChoice c;
  const std::string name = m.get_choice_or("init", kInits, "glorot");
  c.kind = parse_init_kind(name);
  if (auto v = m.find("init_std")) {
    if (c.kind != InitSpec::Kind::kNormal)
      v->fail("init_std applies only to init: normal (init here is " + name + ")");
    c.stddev = v->as_float(RealRange::positive());
  }
  return c;
}

Factory parse_dense(const YamlMap& m) {
  DenseOptions o;
  o.units = m.get_int("units", IntRange::positive());
  o.bias = m.get_bool_or("bias", true);
  const InitChoice init = read_init(m);
  o.init = init.kind;
  o.init_stddev = init.stddev;
  return factory<Dense>(o);
}

Factory parse_conv2d(const YamlMap& m) {
  Conv2DOptions o;
  o.filters = m.get_int("filters", IntRange::positive());
  const Pair k = pair_required(m, "kernel", IntRange::positive());
  const Pair s = pair_or(m, "stride", {1, 1}, IntRange::positive());
  o.kernel_h = k.h, o.kernel_w = k.w, o.stride_h = s.h, o.stride_w = s.w;
  o.padding_mode = PaddingMode::kValid;
  if (auto v = m.find("padding")) {
    if (v->is_int() || v->is_list()) {
      const Pair p = as_pair(*v, IntRange::non_negative());
      o.padding_mode = PaddingMode::kExplicit;
      o.pad_h = p.h, o.pad_w = p.w;
    } else if (v->is_scalar() && v->node().Scalar() == "same") {
      o.padding_mode = PaddingMode::kSame;
    } else if (!(v->is_scalar() && v->node().Scalar() == "valid")) {
      v->fail("expected same, valid, a non-negative integer or [h, w], found " + v->describe());
    }
  }
  o.bias = m.get_bool_or("bias", true);
  const InitChoice init = read_init(m);
  o.init = init.kind;
  o.init_stddev = init.stddev;
  return factory<Conv2D>(o);
}

Factory parse_conv_transpose2d(const YamlMap& m) {
  ConvTranspose2DOptions o;
  o.filters = m.get_int("filters", IntRange::positive());
  const Pair k = pair_required(m, "kernel", IntRange::positive());
  const Pair s = pair_or(m, "stride", {1, 1}, IntRange::positive());
  o.kernel_h = k.h, o.kernel_w = k.w, o.stride_h = s.h, o.stride_w = s.w;
  if (auto v = m.find("padding")) {
    if (v->is_scalar() && !v->is_int() && v->node().Scalar() == "same") {
      o.same = true;
    } else if (v->is_int() || v->is_list()) {
      const Pair p = as_pair(*v, IntRange::non_negative());
      o.pad_h = p.h, o.pad_w = p.w;
    } else {
      v->fail("expected a non-negative integer, [h, w] or same, found " + v->describe());
    }
  }
  if (auto v = m.find("output_padding")) {
    if (o.same) v->fail("output_padding cannot be given with padding: same (it is derived)");
    const Pair p = as_pair(*v, IntRange::non_negative());
    if (p.h >= o.stride_h || p.w >= o.stride_w)
      v->fail("output_padding must be smaller than stride (" + std::to_string(o.stride_h) + ", " +
              std::to_string(o.stride_w) + "), found " + v->describe());
    o.output_pad_h = p.h, o.output_pad_w = p.w;
  }
  o.bias = m.get_bool_or("bias", true);
  const InitChoice init = read_init(m);
  o.init = init.kind;
  o.init_stddev = init.stddev;
  return factory<ConvTranspose2D>(o);
}

Factory parse_maxpool2d(const YamlMap& m) {
  MaxPool2DOptions o;
  const Pair k = pair_or(m, "kernel", {2, 2}, IntRange::positive());
  const Pair s = pair_or(m, "stride", k, IntRange::positive());
  const Pair p = pair_or(m, "padding", {0, 0}, IntRange::non_negative());
  o.kernel_h = k.h, o.kernel_w = k.w, o.stride_h = s.h, o.stride_w = s.w;
  o.pad_h = p.h, o.pad_w = p.w;
  return factory<MaxPool2D>(o);
}

Factory parse_upsample2d(const YamlMap& m) {
  Upsample2DOptions o;
  const Pair s = pair_or(m, "scale", {2, 2}, IntRange::positive());
  o.scale_h = s.h, o.scale_w = s.w;
  return factory<Upsample2D>(o);
}

Factory parse_batchnorm(const YamlMap& m) {
  BatchNormOptions o;
  o.momentum = m.get_float_or("momentum", 0.1f, RealRange{0.0, 1.0});
  o.eps = m.get_float_or("eps", 1e-5f, RealRange::positive());
  o.affine = m.get_bool_or("affine", true);
  return factory<BatchNorm>(o);
}

Factory parse_dropout(const YamlMap& m) {
  const float rate = m.get_float("rate", RealRange{0.0, 1.0, false, true});
  return factory<Dropout>(rate);
}

Factory parse_reshape(const YamlMap& m) {
  const YamlValue v = m.get("shape", "a list of 1 to 3 dimensions, without the batch");
  const std::vector<int64_t> target = v.as_int_list(IntRange{-1}, 1, 3);
  if (std::count(target.begin(), target.end(), -1) > 1)
    v.fail("at most one dimension may be -1, found " +
           std::to_string(std::count(target.begin(), target.end(), -1)));
  if (std::count(target.begin(), target.end(), 0) > 0)
    v.fail("expected dimensions that are positive or -1, found a 0");
  return factory<Reshape>(target);
}

Factory parse_activation(const YamlMap& m, const std::string& type) {
  if (type == "relu") return factory<Activation>(ActivationKind::kReLU, 0.01f);
  if (type == "sigmoid") return factory<Activation>(ActivationKind::kSigmoid, 0.01f);
  if (type == "tanh") return factory<Activation>(ActivationKind::kTanh, 0.01f);
  const float slope = m.get_float_or("slope", 0.01f, RealRange::non_negative());
  return factory<Activation>(ActivationKind::kLeakyReLU, slope);
}

Factory parse_options(const YamlMap& m, const std::string& type) {
  if (type == "dense") return parse_dense(m);
  if (type == "conv2d") return parse_conv2d(m);
  if (type == "conv_transpose2d") return parse_conv_transpose2d(m);
  if (type == "maxpool2d") return parse_maxpool2d(m);
  if (type == "upsample2d") return parse_upsample2d(m);
  if (type == "batchnorm") return parse_batchnorm(m);
  if (type == "dropout") return parse_dropout(m);
  if (type == "flatten") return factory<Reshape>(std::vector<int64_t>{});
  if (type == "reshape") return parse_reshape(m);
  return parse_activation(m, type);  // relu, leaky_relu, sigmoid, tanh
}

std::string type_list() {
  return join(layer_types());
}

}  // namespace

const std::vector<std::string>& layer_types() {
  static const std::vector<std::string> kTypes = {
      "dense",   "conv2d",  "conv_transpose2d", "maxpool2d", "upsample2d", "batchnorm",
      "dropout", "flatten", "reshape",          "relu",      "leaky_relu", "sigmoid",
      "tanh"};
  return kTypes;
}

LayerSpec parse_layer(const YamlValue& entry, int index, const Shape& in_sample) {
  if (!entry.is_map())
    entry.fail("expected a layer (a map with a 'type' key), found " + entry.describe());
  const YamlMap m(entry);
  const YamlValue type_value = m.get("type", "one of " + type_list());
  const auto& types = layer_types();
  if (!type_value.is_scalar() ||
      std::find(types.begin(), types.end(), type_value.node().Scalar()) == types.end()) {
    if (!type_value.is_scalar()) type_value.as_choice(types);  // throws "expected one of..."
    const std::string& t = type_value.node().Scalar();
    const std::string near = closest_match(t, types);
    type_value.fail("unknown layer type '" + t + "'" +
                    (near.empty() ? "" : " — did you mean '" + near + "'?") +
                    "; the layer types are: " + type_list());
  }
  LayerSpec spec;
  spec.type = type_value.node().Scalar();
  m.set_variant(spec.type);
  spec.where = entry.where();
  if (auto v = m.find("name")) {
    spec.name = v->as_string();
    if (spec.name.empty()) v->fail("expected a non-empty name, found an empty string");
  } else {
    spec.name = std::to_string(index) + "." + spec.type;
  }
  spec.make = parse_options(m, spec.type);
  m.finish();

  // Build a probe of the layer on one sample, so that a shape that does not fit is reported at
  // this entry (and so that every later entry knows its input shape).
  try {
    std::unique_ptr<Layer> probe = spec.make();
    const Shape out = probe->build(batched(1, in_sample));
    STRATA_CHECK(out.rank() >= 2,
                 "produced an output of shape " << out.str() << " with no sample dimensions");
    spec.out_shape = drop_batch(out);
  } catch (const Error& e) {
    STRATA_THROW(spec.where << " (" << spec.type << "): " << e.message());
  }
  return spec;
}

Shape ModelSpec::output_shape() const {
  return layers.empty() ? input_shape : layers.back().out_shape;
}

ModelSpec parse_model(const YamlMap& section) {
  const SchemaScope schema(section, "@model");
  ModelSpec spec;
  const YamlValue in = section.get("input_shape", "[features] or [C, H, W]");
  const std::vector<int64_t> dims = in.as_int_list(IntRange::positive(), 1, 3);
  if (dims.size() == 2)
    in.fail(
        "expected [features] or [C, H, W], found a list of 2 (for one channel write [1, H, W])");
  spec.input_shape = dims.size() == 1 ? Shape{dims[0]} : Shape{dims[0], dims[1], dims[2]};

  const YamlValue layers = section.get("layers", "a list of layers");
  const std::vector<YamlValue> entries = layers.as_list();
  if (entries.empty()) layers.fail("expected at least one layer, found an empty list");
  Shape s = spec.input_shape;
  for (size_t i = 0; i < entries.size(); ++i) {
    LayerSpec l = parse_layer(entries[i], static_cast<int>(i), s);
    for (size_t j = 0; j < spec.layers.size(); ++j) {
      if (spec.layers[j].name == l.name)
        STRATA_THROW(l.where << ": the layer name '" << l.name << "' is already used by "
                             << entries[j].path() << "; layer names must be unique");
    }
    s = l.out_shape;
    spec.layers.push_back(std::move(l));
  }
  section.finish();
  return spec;
}

Sequential ModelSpec::build(uint64_t seed, Device device) const {
  Sequential model;
  for (const LayerSpec& l : layers) model.add(l.make(), l.name);
  model.build(input_shape, seed, device);
  return model;
}

ModelSpec load_model_spec(const std::string& path, const std::string& key) {
  const YamlMap root = YamlMap::load(path);
  ModelSpec spec = parse_model(root.get_map(key));
  root.finish();
  return spec;
}

Sequential load_model_file(const std::string& path, uint64_t seed, const std::string& key) {
  return load_model_spec(path, key).build(seed);
}

}  // namespace strata
