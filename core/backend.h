// Backend: what the ops of a model run on - the device, and for a GPU its stream and library
// handles. An op is a pair of free functions per device with one name, overloaded on the
// backend's concrete type (llm.c's gelu_forward / gelu_backward; LBANN's relu.cpp / relu.cu):
//
//   core/ops/dense.h     declares dense_forward(CpuBackend&, ...) (and the CUDA twin)
//   core/ops/dense.cpp   the CPU implementation
//   core/ops/dense.cu    the CUDA implementation, beside it
//
// Layers, losses and optimizers keep their shapes and parameters and call their compute through
// dispatch(), which passes the backend as its concrete type so the overload of the model's device
// is chosen. A step allocates nothing: a layer's scratch is sized in setup() and allocated by the
// model on its device (core/layer.h).
#pragma once

#include <utility>

#include "core/device.h"
#include "core/error.h"

namespace strata {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // The stream device work is queued on (nullptr on the CPU).
  virtual Stream stream() const { return nullptr; }
};

// The CPU: ops run on the calling thread's OpenMP team (core/cpu_threads.h) as they are called.
class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::cpu(); }
};

// The one CPU backend.
CpuBackend& cpu_backend();
// The backend of `device`: the CPU's, or (CUDA build) the default backend of that GPU. Throws
// naming the device when this build has no backend for it.
Backend& backend_for(Device device);

// Calls f(concrete backend) for `backend`: f(CpuBackend&) on the CPU. A device without ops in
// this build is an error that says so.
template <typename F>
decltype(auto) dispatch(Backend& backend, F&& f) {
  if (backend.device().is_cpu()) return std::forward<F>(f)(static_cast<CpuBackend&>(backend));
  STRATA_THROW("no ops for " << backend.device().str() << " in this build; train on the CPU "
                             << "(device: cpu)");
}

}  // namespace strata
