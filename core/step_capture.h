// Capturing a training step as a CUDA graph (llm.c and PyTorch's CUDA graphs: record the step's
// launches once, replay them while the shapes stay the same). A captured step's host code runs
// only once, at the capture, so nothing inside it may wait for the device or read device memory
// on the host: such a call fails the capture with an error naming it, instead of freezing a
// value or deadlocking. The loop (trainers/loop/step_graph.h) decides when to capture; the
// backend records (Backend::capture, core/backend.h).
//
// While a CaptureScope is open on a thread, capturing() is true there, and the calls that would
// wait for the device (Backend::synchronize, a copy to or from host memory, a blocking
// collective that waits on the host) throw through check_not_capturing(). On the emulated
// device (core/device.h) the loop opens a scope around every step, so the CPU tests prove that
// each step kind is free of host synchronisation.
#pragma once

namespace strata {

class CaptureScope {
 public:
  CaptureScope();
  ~CaptureScope();
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;
};

// Whether a capture is open on this thread.
bool capturing();

// Throws when a capture is open on this thread: `what` (e.g. "a copy from cuda:0 to the host")
// would wait for the device inside a captured step.
void check_not_capturing(const char* what);

}  // namespace strata
