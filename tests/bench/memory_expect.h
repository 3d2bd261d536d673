// What the benchmark models' networks should hold on their device, computed from the layers'
// kinds and shapes (not from the model's own plan), for the host memory tests
// (tests/bench/memory_test.cpp) and the GPU one (tests/bench/gpu/memory_gpu_test.cpp).
//
// The rule: an activation (relu, leaky_relu, sigmoid, tanh) whose input is the output of a
// dense, conv2d, conv_transpose2d or batchnorm layer (those need only their input in backward),
// through any views (reshape, flatten), writes its output over that memory and owns none; off
// the CPU a relu right after a dense is run by the dense's GEMM (fused) and owns none either,
// in place or not. Every other layer that is not a view owns its output.
#pragma once

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "bench/step.h"
#include "core/memory.h"
#include "core/sequential.h"

namespace strata::bench::testing {

// The networks of a benchmark step: the autoencoder, or the GAN's G and D.
inline std::vector<Sequential*> networks(TrainStep& step) {
  if (auto* ae = dynamic_cast<AutoencoderStep*>(&step)) return {&ae->net()};
  auto& gan = dynamic_cast<GanStep&>(step).gan();
  return {&gan.g, &gan.d};
}

// What a step's networks hold (Sequential::memory), the scratch they share (a GAN's G and D:
// SharedScratch) counted once.
struct NetsMemory {
  int64_t total = 0, activations = 0, input_grads = 0, params = 0;
};
inline NetsMemory nets_memory(TrainStep& step) {
  NetsMemory r;
  int64_t shared_grads = 0, shared_workspace = 0;
  for (Sequential* m : networks(step)) {
    const ModelMemory mm = m->memory();
    r.total += mm.params + mm.grads + mm.activations + mm.saved;
    r.activations += mm.activations;
    r.params += mm.params;
    if (mm.shared > 0) {
      shared_grads = std::max(shared_grads, mm.input_grads);
      shared_workspace = std::max(shared_workspace, mm.workspace);
    } else {
      r.input_grads += mm.input_grads;
      r.total += mm.input_grads + mm.workspace;
    }
  }
  r.input_grads += shared_grads;
  r.total += shared_grads + shared_workspace;
  return r;
}

struct ActivationBytes {
  int64_t owned = 0;     // the outputs the layers own, in place
  int64_t in_place = 0;  // what the in-place layers would own out of place
};

// For m's last forward (its batch), in accounted bytes on m's device.
inline ActivationBytes expected_activation_bytes(Sequential& m) {
  static const std::set<std::string> activations = {"relu", "leaky_relu", "sigmoid", "tanh"};
  static const std::set<std::string> need_input_only = {"dense", "conv2d", "conv_transpose2d",
                                                        "batchnorm"};
  static const std::set<std::string> views = {"reshape", "flatten"};
  const bool fuses = !m.device().is_cpu();
  ActivationBytes r;
  for (int i = 0; i < m.num_layers(); ++i) {
    const std::string kind = m.layer(i).kind();
    if (views.count(kind)) continue;
    const int64_t bytes = accounted_bytes(
        m.device(), static_cast<size_t>(m.activation_shape(i).numel()) * sizeof(float));
    int k = i - 1;
    while (k >= 0 && views.count(m.layer(k).kind())) --k;
    const std::string before = k >= 0 ? m.layer(k).kind() : "";
    if (fuses && kind == "relu" && i > 0 && std::string(m.layer(i - 1).kind()) == "dense") continue;
    if (activations.count(kind) && need_input_only.count(before))
      r.in_place += bytes;
    else
      r.owned += bytes;
  }
  return r;
}

}  // namespace strata::bench::testing
