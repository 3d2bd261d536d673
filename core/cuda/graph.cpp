// CudaBackend::capture (core/backend.h): a step's launches recorded as a CUDA graph and replayed.
//
// Capture runs in thread-local mode: other threads (the data reader's copy thread) may keep
// calling CUDA while this thread records, and this thread's unsafe calls (a cudaMalloc, a
// synchronisation) fail the capture instead of silently breaking it; Strata's own waits throw
// first, naming the call (core/step_capture.h). A failed capture is ended and discarded, so the
// stream is usable again and the error propagates.
#include <cuda_runtime_api.h>

#include <exception>
#include <memory>

#include "core/backend.h"
#include "core/cuda/check.h"
#include "core/cuda/handles.h"
#include "core/error.h"
#include "core/step_capture.h"

namespace strata {

namespace {

class CudaGraphWork final : public CapturedWork {
 public:
  CudaGraphWork(cudaGraphExec_t exec, cudaStream_t stream, int device)
      : exec_(exec), stream_(stream), device_(device) {}
  ~CudaGraphWork() override {
    cudaSetDevice(device_);  // errors ignored: may run after the driver shut down
    cudaGraphExecDestroy(exec_);
  }
  CudaGraphWork(const CudaGraphWork&) = delete;
  CudaGraphWork& operator=(const CudaGraphWork&) = delete;

  void replay() override {
    STRATA_CUDA_CHECK(cudaSetDevice(device_));
    STRATA_CUDA_CHECK(cudaGraphLaunch(exec_, stream_));
  }

 private:
  cudaGraphExec_t exec_;
  cudaStream_t stream_;
  int device_;
};

// Ends an open capture and drops what it recorded (after a failure inside it).
void abandon_capture(cudaStream_t stream) noexcept {
  cudaGraph_t graph = nullptr;
  cudaStreamEndCapture(stream, &graph);
  if (graph != nullptr) cudaGraphDestroy(graph);
  cudaGetLastError();  // clear the capture's sticky-free error, if any
}

}  // namespace

std::unique_ptr<CapturedWork> CudaBackend::capture(const std::function<void()>& work) {
  const cudaStream_t s = static_cast<cudaStream_t>(stream_);
  STRATA_CUDA_CHECK(cudaSetDevice(index_));
  STRATA_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  try {
    CaptureScope scope;
    work();
  } catch (...) {
    abandon_capture(s);
    throw;
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t end = cudaStreamEndCapture(s, &graph);
  if (end != cudaSuccess) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    cudaGetLastError();
    STRATA_THROW("capturing a training step as a CUDA graph on cuda:"
                 << index_ << " failed: " << cudaGetErrorName(end) << " ("
                 << cudaGetErrorString(end)
                 << "); something in the step is not capturable. Train with cuda_graphs: false, "
                    "and report this as a bug");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t inst = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  STRATA_CHECK(inst == cudaSuccess, "instantiating the captured step's CUDA graph on cuda:"
                                        << index_ << " failed: " << cudaGetErrorName(inst) << " ("
                                        << cudaGetErrorString(inst) << ")");
  return std::make_unique<CudaGraphWork>(exec, s, index_);
}

}  // namespace strata
