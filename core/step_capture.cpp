#include "core/step_capture.h"

#include "core/error.h"

namespace strata {

namespace {
thread_local int capture_depth = 0;
}  // namespace

CaptureScope::CaptureScope() {
  ++capture_depth;
}
CaptureScope::~CaptureScope() {
  --capture_depth;
}

bool capturing() {
  return capture_depth > 0;
}

void check_not_capturing(const char* what) {
  STRATA_CHECK(capture_depth == 0,
               what << " inside a step captured as a CUDA graph: a captured step may not wait for "
                       "the device or read its memory on the host (values stay on the device until "
                       "the logging step). Train without graphs (cuda_graphs: false) to run it "
                       "eagerly, and report this as a bug");
}

}  // namespace strata
