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

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include "core/device.h"
#include "core/error.h"

namespace strata {

// Work recorded once by Backend::capture and replayed on the backend's stream (a CUDA graph).
class CapturedWork {
 public:
  virtual ~CapturedWork() = default;
  // Queues the recorded work again, with the values its buffers hold when it runs.
  virtual void replay() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // The stream device work is queued on (nullptr on the CPU).
  virtual Stream stream() const { return nullptr; }
  // Waits until the work queued so far is done (a no-op on the CPU, whose ops finish as called).
  // Inside a captured step it throws (core/step_capture.h).
  virtual void synchronize() const;
  // Records what work() queues on stream() without running it, for replay; work()'s host code
  // runs once, now, under a CaptureScope. nullptr where the backend cannot record (the CPU and
  // the emulated device run every step as it is called).
  virtual std::unique_ptr<CapturedWork> capture(const std::function<void()>& work) {
    (void)work;
    return nullptr;
  }
};

// The CPU: ops run on the calling thread's OpenMP team (core/cpu_threads.h) as they are called.
// The emulated device's backend is a CpuBackend too (core/device.h).
class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(Device device = Device::cpu()) : device_(device) {}
  Device device() const override { return device_; }

 private:
  Device device_;
};

#if STRATA_WITH_CUDA
// CUDA device `index`: its stream and the cuBLAS, cuBLASLt and cuDNN handles bound to it, and the
// cuBLASLt workspace. Every CUDA op queues its work on stream() and checks each launch
// (core/cuda/check.h). Declared without CUDA headers so that dispatch() can hand it to the ops
// from plain C++; the .cu files get the typed handles from core/cuda/handles.h
// (implementation: core/cuda/backend.cpp).
//
// The stream is a blocking stream (cudaStreamCreate): the legacy default stream, which the
// explicit copies of core/memory.h use by default, waits for its work, so a copy to the host after
// a step sees the step's results without an explicit synchronisation.
class CudaBackend final : public Backend {
 public:
  // Creates the stream and library handles on CUDA device `index` (which must exist).
  explicit CudaBackend(int index);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device::cuda(index_); }
  Stream stream() const override { return stream_; }
  // Waits until the stream's work is done; throws naming the device and the CUDA error.
  void synchronize() const override;
  // A CUDA graph of work()'s launches on stream() (core/cuda/graph.cpp): captured in thread-local
  // mode, instantiated, replayed with cudaGraphLaunch on stream().
  std::unique_ptr<CapturedWork> capture(const std::function<void()>& work) override;

  // The untyped handles (core/cuda/handles.h casts them).
  void* cublas() const { return cublas_; }
  void* cublaslt() const { return cublaslt_; }
  void* cudnn() const { return cudnn_; }
  // A device buffer of lt_workspace_bytes() for cuBLASLt's matmuls, used by one op at a time;
  // also cuBLAS's workspace (cublasSetWorkspace), so that cuBLAS allocates nothing of its own,
  // not even inside a captured step.
  void* lt_workspace() const { return lt_workspace_; }
  static constexpr size_t lt_workspace_bytes() { return size_t{32} << 20; }

 private:
  int index_;
  Stream stream_ = nullptr;
  void* cublas_ = nullptr;
  void* cublaslt_ = nullptr;
  void* cudnn_ = nullptr;
  void* lt_workspace_ = nullptr;
};

// The backend of CUDA device `index`, made on first use. Throws naming the device when this
// machine has no such GPU.
Backend& cuda_backend(int index);
#endif

// The one CPU backend.
CpuBackend& cpu_backend();
// The backend of `device`: the CPU's, or (CUDA build) the default backend of that GPU. Throws
// naming the device when this build has no backend for it.
Backend& backend_for(Device device);

// Calls f(concrete backend) for `backend`: f(CpuBackend&) on the CPU (and the emulated device),
// f(CudaBackend&) on a GPU
// (CUDA build). A device without ops in this build is an error that says so.
template <typename F>
decltype(auto) dispatch(Backend& backend, F&& f) {
  if (!backend.device().is_cuda()) return std::forward<F>(f)(static_cast<CpuBackend&>(backend));
#if STRATA_WITH_CUDA
  if (backend.device().is_cuda()) return std::forward<F>(f)(static_cast<CudaBackend&>(backend));
#endif
  STRATA_THROW("no ops for " << backend.device().str() << " in this build; train on the CPU "
                             << "(device: cpu)");
}

}  // namespace strata
