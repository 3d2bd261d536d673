// The state every optimizer keeps the same way: buffers on the parameters' device, the step count,
// and on a GPU the device memory its step reads.
#include "core/optim/optimizer.h"

#include "core/backend.h"
#include "core/error.h"
#include "core/ops/fill.h"

namespace strata {

int64_t Optimizer::steps() const {
  const Tensor count = step_count_.on_cpu() ? step_count_ : step_count_.to(Device::cpu());
  return static_cast<int64_t>(count[0]);
}

void Optimizer::prepare_state(Tensor& buffer, const Tensor& params) {
  const int64_t n = params.numel();
  if (buffer.empty()) {
    // The only allocation, on the first step, on the parameters' device.
    buffer = Tensor(Shape{n}, params.device());
    dispatch(backend_for(params.device()), [&](auto& be) { fill(be, buffer.data(), n, 0.0f); });
    return;
  }
  STRATA_CHECK(buffer.numel() == n,
               kind() << ": this optimizer's state is for " << buffer.numel()
                      << " parameters but the step got " << n
                      << "; use one optimizer per model (or a checkpoint of this model)");
  if (buffer.device() != params.device()) buffer = buffer.to(params.device());
}

void Optimizer::publish_lr() {
  if (device_scalars_.empty()) return;
  dispatch(backend_for(device_scalars_.device()),
           [&](auto& be) { fill(be, device_scalars_.data(), 1, lr_); });
}

float* Optimizer::device_scalars(Device device, int64_t workspace) {
  if (device_scalars_.empty()) {
    STRATA_CHECK(step_count_.on_cpu(), kind() << ": the step count lives on "
                                              << step_count_.device().str() << ", not on "
                                              << device.str() << "; use one optimizer per device");
    device_scalars_ = Tensor(Shape{2 + workspace}, device);
    Tensor count = Tensor::view(device_scalars_.data() + 1, Shape{1}, device);
    copy(count, step_count_);  // 0, or the count a checkpoint restored
    step_count_ = count;
  }
  STRATA_CHECK(device_scalars_.device() == device,
               kind() << ": this optimizer stepped on " << device_scalars_.device().str()
                      << " and now gets parameters on " << device.str()
                      << "; use one optimizer per device");
  return device_scalars_.data();
}

}  // namespace strata
