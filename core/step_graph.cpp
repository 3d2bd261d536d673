#include "core/step_graph.h"

#include "core/error.h"
#include "core/memory.h"
#include "core/step_capture.h"

namespace strata {

StepGraph::Mode StepGraph::mode_for(bool allowed, Device device, bool capturable_collectives) {
  if (!allowed || !capturable_collectives) return Mode::kEager;
  if (device.is_cuda()) return Mode::kGraph;
  if (device.is_emulated()) return Mode::kCheck;
  return Mode::kEager;
}

StepGraph::StepGraph(Mode mode, Device device) : mode_(mode), device_(device) {}

StepGraph::~StepGraph() {
  // A replay may still run: let it finish before its graph goes (errors ignored, as in any
  // destructor that may run while an exception unwinds).
  if (work_) {
    try {
      backend_for(device_).synchronize();
    } catch (...) {
    }
  }
}

StepGraph::Key StepGraph::key_of(const std::vector<Shape>& shapes) const {
  const MemoryStats m = memory_stats(device_);
  return Key{shapes, m.allocations + m.frees};
}

void StepGraph::run(const std::vector<Shape>& shapes, const std::function<void()>& step) {
  if (mode_ == Mode::kEager) {
    step();
    ++eager_;
    return;
  }
  const Key key = key_of(shapes);
  if (work_ && key == captured_key_) {
    work_->replay();
    ++replays_;
    return;
  }
  if (!warm_ || !(key == warm_key_)) {
    // A new shape, or device memory changed since the warm-up: run eagerly once more, as it is
    // (the old graph goes once its last replay is done).
    if (work_) backend_for(device_).synchronize();
    work_.reset();
    step();
    ++eager_;
    warm_key_ = key_of(shapes);  // after the step's own first-time allocations
    warm_ = true;
    return;
  }
  if (mode_ == Mode::kCheck) {
    // Where a GPU would capture or replay: the step runs under a CaptureScope, where any wait for
    // the device throws as it would in a capture.
    CaptureScope scope;
    step();
    ++replays_;
    return;
  }
  work_ = backend_for(device_).capture(step);
  STRATA_CHECK(work_ != nullptr, "the backend of " << device_.str() << " cannot capture a step");
  captured_key_ = key_of(shapes);
  if (!(captured_key_ == key)) {
    work_.reset();
    STRATA_THROW(
        "a training step allocated or freed device memory while it was captured as a "
        "CUDA graph (after a warm-up step of the same shapes); train with cuda_graphs: "
        "false, and report this as a bug");
  }
  ++captures_;
  work_->replay();  // the capture only recorded the step: this runs it
  ++replays_;
}

const Tensor& StepStaging::stage(size_t slot, const Tensor& src) {
  if (buffers_.size() <= slot) buffers_.resize(slot + 1);
  Tensor& dst = buffers_[slot];
  if (src.empty()) {
    dst = Tensor();
    return dst;
  }
  if (dst.empty() || !(dst.shape() == src.shape()) || !(dst.device() == device_))
    dst = Tensor(src.shape(), device_);
  copy(dst, src, backend_for(device_).stream(), /*async=*/true);
  return dst;
}

const StepCounter* StepStaging::counter(uint64_t step, int64_t first_sample) {
  constexpr int64_t kFloats =
      static_cast<int64_t>((sizeof(StepCounter) + sizeof(float) - 1) / sizeof(float));
  if (counter_.empty()) counter_ = Tensor(Shape{kFloats}, device_);
  auto* c = reinterpret_cast<StepCounter*>(counter_.data());
  dispatch(backend_for(device_), [&](auto& be) { set_step_counter(be, c, step, first_sample); });
  return c;
}

}  // namespace strata
