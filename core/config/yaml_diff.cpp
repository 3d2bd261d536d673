#include "core/config/yaml_diff.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>

#include "core/error.h"

namespace strata {
namespace {

void flatten(const YAML::Node& node, const std::string& key,
             std::map<std::string, std::string>& out) {
  const auto child = [&](const std::string& k) { return key.empty() ? k : key + "." + k; };
  switch (node.Type()) {
    case YAML::NodeType::Map:
      if (node.size() == 0) out[key] = "{}";
      for (const auto& kv : node) flatten(kv.second, child(kv.first.as<std::string>()), out);
      return;
    case YAML::NodeType::Sequence:
      if (node.size() == 0) out[key] = "[]";
      for (size_t i = 0; i < node.size(); ++i) flatten(node[i], child(std::to_string(i)), out);
      return;
    case YAML::NodeType::Scalar:
      out[key] = node.Scalar();
      return;
    default:
      out[key] = "";
  }
}

bool ignored(const std::string& key, const std::vector<std::string>& ignore) {
  for (const std::string& i : ignore)
    if (key == i || key.rfind(i + ".", 0) == 0) return true;
  return false;
}

}  // namespace

std::map<std::string, std::string> flatten_yaml(const std::string& text) {
  std::map<std::string, std::string> out;
  try {
    flatten(YAML::Load(text), "", out);
  } catch (const YAML::Exception& e) {
    STRATA_THROW("not a YAML document: " << e.what());
  }
  return out;
}

std::vector<YamlDifference> yaml_differences(const std::string& a, const std::string& b,
                                             const std::vector<std::string>& ignore) {
  const auto fa = flatten_yaml(a), fb = flatten_yaml(b);
  std::set<std::string> keys;
  for (const auto& kv : fa) keys.insert(kv.first);
  for (const auto& kv : fb) keys.insert(kv.first);
  std::vector<YamlDifference> out;
  for (const std::string& k : keys) {
    if (ignored(k, ignore)) continue;
    const auto ia = fa.find(k), ib = fb.find(k);
    const std::string va = ia == fa.end() ? "(absent)" : ia->second;
    const std::string vb = ib == fb.end() ? "(absent)" : ib->second;
    if (va != vb) out.push_back({k, va, vb});
  }
  return out;
}

std::string describe_differences(const std::vector<YamlDifference>& d, size_t max) {
  std::ostringstream os;
  for (size_t i = 0; i < d.size() && i < max; ++i)
    os << (i ? ", " : "") << d[i].key << ": " << d[i].a << " -> " << d[i].b;
  if (d.size() > max) os << ", ... (" << d.size() << " keys in all)";
  return os.str();
}

}  // namespace strata
