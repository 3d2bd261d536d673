#include "bench/cluster_config.h"

#include <filesystem>
#include <optional>

#include "core/config/yaml_map.h"

namespace strata::scaling {

namespace {

Link parse_link(const YamlMap& m) {
  Link l;
  l.bandwidth_gbs = m.get_double("bandwidth_gbs", RealRange::positive());
  l.latency_us = m.get_double("latency_us", RealRange::non_negative());
  m.finish();
  return l;
}

Cluster from_map(const YamlMap& root) {
  Cluster c;
  c.name = root.get_string_or("name", std::filesystem::path(root.file()).stem().string());
  c.gpus_per_node = static_cast<int>(root.get_int("gpus_per_node", IntRange{1, 1 << 16}));
  c.intra = parse_link(root.get_map("intra_node"));
  if (std::optional<YamlMap> inter = root.find_map("inter_node")) c.inter = parse_link(*inter);
  c.call_us = root.get_double_or("call_us", 0.0, RealRange::non_negative());
  c.algorithm = parse_algorithm(
      root.get_choice_or("algorithm", {"ring", "tree", "hierarchical", "auto"}, "auto"));
  c.overlap = root.get_bool_or("overlap", true);
  root.finish();
  return c;
}

}  // namespace

Cluster load_cluster(const std::string& path) {
  return from_map(YamlMap::load(path));
}

Cluster parse_cluster(const std::string& text, const std::string& file_name) {
  return from_map(YamlMap::parse(text, file_name));
}

}  // namespace strata::scaling
