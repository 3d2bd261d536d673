// StateRegistry: every tensor a checkpoint holds, by group and name. A trainer registers each of
// its networks (parameters by layer and parameter name, then non-parameter state such as
// BatchNorm running statistics) and each optimizer (its state tensors: moments, step count), all
// phases included, once after building them; the checkpoint writer and reader walk the list.
//
//   group "net/encoder":  "1.dense.weight", "1.dense.bias", ..., "3.batchnorm.running_mean"
//   group "opt/encoder":  "state0", "state1", ... (Optimizer::state() order)
//
// Each item also names the device of the network it belongs to: where a tensor that is still
// empty (optimizer state before the first step) is made when a checkpoint or a broadcast fills
// it. A tensor that exists is filled where it lives, whatever that is.
#pragma once

#include <string>
#include <vector>

#include "core/optim/optimizer.h"
#include "core/sequential.h"
#include "core/tensor.h"

namespace strata {

struct StateItem {
  std::string group;  // "net/<name>" or "opt/<name>" or anything else a trainer adds
  std::string name;   // the dataset name within the group
  Tensor* tensor;     // not owned; its shape is fixed once registered (optimizers: see below)
  Device device;      // where the tensor is made if it is empty when filled
};

class StateRegistry {
 public:
  // Parameters (Sequential::named_params(): "<layer name>.<param name>") and state() tensors
  // ("<layer name>.running_mean" / ".running_var" for BatchNorm), in group "net/<name>".
  void add_network(const std::string& name, Sequential& net);
  // Optimizer::state() tensors as "state0", "state1", ... in group "opt/<name>". An optimizer
  // allocates its state on its first step: a reader makes empty tensors with the stored shape on
  // `device`, the device of the parameters the optimizer steps.
  void add_optimizer(const std::string& name, Optimizer& opt, Device device);
  // One tensor; `device` defaults to the tensor's own.
  void add(const std::string& group, const std::string& name, Tensor* tensor);
  void add(const std::string& group, const std::string& name, Tensor* tensor, Device device);

  const std::vector<StateItem>& items() const { return items_; }

 private:
  std::vector<StateItem> items_;
};

}  // namespace strata
