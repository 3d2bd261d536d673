#include "trainers/state.h"

#include "core/error.h"

namespace strata {

void StateRegistry::add(const std::string& group, const std::string& name, Tensor* tensor) {
  STRATA_CHECK(tensor != nullptr, "state item " << group << "/" << name << " has no tensor");
  add(group, name, tensor, tensor->device());
}

void StateRegistry::add(const std::string& group, const std::string& name, Tensor* tensor,
                        Device device) {
  STRATA_CHECK(tensor != nullptr, "state item " << group << "/" << name << " has no tensor");
  for (const StateItem& it : items_)
    STRATA_CHECK(!(it.group == group && it.name == name),
                 "state item " << group << "/" << name << " registered twice");
  items_.push_back({group, name, tensor, device});
}

void StateRegistry::add_network(const std::string& name, Sequential& net) {
  STRATA_CHECK(net.built(), "network '" << name << "' must be built before it is registered");
  const std::string group = "net/" + name;
  for (NamedParam& p : net.named_params()) add(group, p.name, &p.value, net.device());
  for (int i = 0; i < net.num_layers(); ++i) {
    const std::vector<Tensor*> st = net.layer(i).state();
    for (size_t k = 0; k < st.size(); ++k) {
      // BatchNorm: running_mean, running_var; any other stateful layer: state<k>.
      const bool bn = std::string(net.layer(i).kind()) == "batchnorm" && st.size() == 2;
      const std::string what =
          bn ? (k == 0 ? "running_mean" : "running_var") : "state" + std::to_string(k);
      add(group, net.layer_name(i) + "." + what, st[k], net.device());
    }
  }
}

void StateRegistry::add_optimizer(const std::string& name, Optimizer& opt, Device device) {
  const std::string group = "opt/" + name;
  const std::vector<Tensor*> st = opt.state();
  for (size_t k = 0; k < st.size(); ++k) add(group, "state" + std::to_string(k), st[k], device);
}

}  // namespace strata
