#include "trainers/experiment.h"

#include <yaml-cpp/yaml.h>

#include <sstream>

#include "core/config/schema_recorder.h"
#include "core/error.h"

namespace strata {

namespace {

bool is_index(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Sets key.path in the tree to value (parsed as YAML, so 3 is an int, [1, 2] a list, "a" text).
// Maps on the way are created; list entries are addressed by index and must exist.
void apply_override(YAML::Node root, const Override& o) {
  std::vector<std::string> parts;
  std::stringstream ss(o.key);
  for (std::string part; std::getline(ss, part, '.');) {
    STRATA_CHECK(!part.empty(), "--set " << o.key << "=" << o.value
                                         << ": empty key part; write e.g. trainer.epochs=3");
    parts.push_back(part);
  }
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    STRATA_THROW("--set " << o.key << "=" << o.value << ": the value is not valid YAML: " << e.msg);
  }
  // Walk with plain node copies (they refer to the same tree); yaml-cpp's operator[] on a
  // non-const node creates missing map keys.
  std::vector<YAML::Node> path{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node cur = path.back();
    const std::string& k = parts[i];
    if (cur.IsSequence()) {
      STRATA_CHECK(is_index(k) && std::stoul(k) < cur.size(),
                   "--set " << o.key << ": '" << k << "' is not an index of the list at that "
                            << "point (it has " << cur.size() << " entries)");
      path.push_back(cur[std::stoul(k)]);
    } else {
      STRATA_CHECK(cur.IsMap() || cur.IsNull(),
                   "--set " << o.key << ": '" << (i > 0 ? parts[i - 1] : std::string("the file"))
                            << "' is a value, not a section; it has no key '" << k << "'");
      if (!cur[k].IsDefined()) cur[k] = YAML::Node(YAML::NodeType::Map);  // a new section
      path.push_back(cur[k]);
    }
  }
  YAML::Node parent = path.back();
  const std::string& last = parts.back();
  if (parent.IsSequence()) {
    STRATA_CHECK(is_index(last) && std::stoul(last) < parent.size(),
                 "--set " << o.key << ": '" << last << "' is not an index of the list");
    parent[std::stoul(last)] = value;
  } else {
    STRATA_CHECK(parent.IsMap() || parent.IsNull(),
                 "--set " << o.key << ": the parent of '" << last << "' is a value, not a section");
    parent[last] = value;
  }
}

CheckpointConfig parse_checkpoint(const YamlMap& config) {
  CheckpointConfig c;
  const auto s = config.find_map("checkpoint");
  if (!s) return c;
  c.every_epochs = s->get_int_or("every_epochs", 1, IntRange::positive());
  c.every_steps = s->get_int_or("every_steps", 0, IntRange::non_negative());
  c.keep = static_cast<int>(s->get_int_or("keep", 3, {1, 1000}));
  s->finish();
  return c;
}

LoggingConfig parse_logging(const YamlMap& config) {
  LoggingConfig c;
  const auto s = config.find_map("logging");
  if (!s) return c;
  c.every_steps = s->get_int_or("every_steps", 50, IntRange::positive());
  c.samples_every_steps = s->get_int_or("samples_every_steps", 0, IntRange::non_negative());
  c.tensorboard = s->get_bool_or("tensorboard", true);
  const std::string p = s->get_choice_or("progress", {"auto", "bar", "lines"}, "auto");
  c.progress = p == "bar"     ? ProgressMode::kBar
               : p == "lines" ? ProgressMode::kLines
                              : ProgressMode::kAuto;
  s->finish();
  return c;
}

const char* scale_name(PixelScale s) {
  return s == PixelScale::kUnit ? "unit" : s == PixelScale::kSymmetric ? "symmetric" : "none";
}

Experiment parse_root(YAML::Node root, const std::string& file_name) {
  const YamlValue root_value(root, file_name, "", root.Mark());
  if (!root_value.is_map())
    root_value.fail("expected a map of keys at the top level, found " + root_value.describe());
  const YamlMap config(root_value);
  Experiment e;
  e.source = file_name;
  e.seed = static_cast<uint64_t>(config.get_int_or("seed", 1, IntRange::non_negative()));
  e.device = parse_device_request(config.get_choice_or("device", {"auto", "cpu", "cuda"}, "auto"));
  e.precision =
      parse_precision(config.get_choice_or("precision", {"fp32", "tf32", "bf16"}, "fp32"));
  e.cuda_graphs = config.get_bool_or("cuda_graphs", true);
  const YamlMap data = config.get_map("data");
  e.scale_given = data.has("scale");
  e.data = parse_data_config(data);
  e.distributed = parse_distributed_config(config);
  e.checkpoint = parse_checkpoint(config);
  e.logging = parse_logging(config);
  e.schedule = parse_schedule(config);

  const YamlMap trainer = config.get_map("trainer");
  const std::string kind =
      trainer.get_choice("kind", {"autoencoder", "stacked_autoencoder", "gan", "classifier"});
  SchemaRecorder::set_context(kind);  // the keys read from here on depend on the kind
  e.batch_size = trainer.get_int("batch_size", IntRange::positive());
  if (kind == "gan")
    e.trainer = parse_gan_trainer(config, trainer);
  else if (kind == "classifier")
    e.trainer = parse_classifier_trainer(config, trainer);
  else
    e.trainer = parse_autoencoder_trainer(config, trainer);
  trainer.finish();
  config.finish();

  if (!e.scale_given) {  // the kind's default (GANs: [-1, 1]), also in the resolved config
    e.data.scale = e.trainer->default_scale();
    YAML::Node d = root["data"];
    d["scale"] = scale_name(e.data.scale);
  }
  YAML::Emitter out;
  out << root;
  e.resolved_yaml = std::string(out.c_str()) + "\n";
  return e;
}

}  // namespace

Override parse_override(const std::string& arg) {
  const size_t eq = arg.find('=');
  STRATA_CHECK(eq != std::string::npos && eq > 0,
               "--set expects key.path=value (e.g. --set trainer.epochs=3), got '" << arg << "'");
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

Experiment parse_experiment(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<Override>& overrides) {
  YAML::Node root = YamlMap::parse_document(yaml_text, file_name);
  for (const Override& o : overrides) apply_override(root, o);
  return parse_root(root, file_name);
}

Experiment load_experiment(const std::string& path, const std::vector<Override>& overrides) {
  return parse_experiment(YamlMap::read_file(path), path, overrides);
}

}  // namespace strata
