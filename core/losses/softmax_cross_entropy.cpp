// Softmax cross-entropy (core/ops/softmax_cross_entropy.h): checks the shapes and validates every
// target (an integer in [0, K)) in a serial pass on the host before the op, so that the error can
// name the sample (and a GPU op never indexes outside the logits); then runs the op.
#include "core/losses/loss.h"

#include <cmath>

#include "core/error.h"
#include "core/ops/softmax_cross_entropy.h"

namespace strata {

namespace {

// Checks the shapes and devices; returns K.
int64_t check_shapes(const Tensor& pred, const Tensor& target) {
  STRATA_CHECK(pred.rank() == 2 && pred.dim(0) > 0 && pred.dim(1) > 0,
               "softmax_cross_entropy: logits must be [N, K] with N, K > 0, got "
                   << pred.shape().str() << " (target " << target.shape().str()
                   << "); flatten the model output with a dense layer of K units");
  check_same_device("softmax_cross_entropy", pred, target);
  const int64_t n = pred.dim(0);
  const bool target_ok = (target.rank() == 1 && target.dim(0) == n) ||
                         (target.rank() == 2 && target.dim(0) == n && target.dim(1) == 1);
  STRATA_CHECK(target_ok, "softmax_cross_entropy: logits "
                              << pred.shape().str() << " need a target "
                              << "of shape [" << n << "] (one class index per sample), got "
                              << target.shape().str());
  return pred.dim(1);
}

}  // namespace

void check_class_indices(const Tensor& target, int64_t k) {
  const int64_t n = target.numel();
  for (int64_t i = 0; i < n; ++i) {
    const float c = target[i];
    // Written so that NaN fails too.
    STRATA_CHECK(c >= 0.0f && c < static_cast<float>(k) && c == std::floor(c),
                 "softmax_cross_entropy: target of sample "
                     << i << " is " << c << ", not a class index in [0, " << k
                     << "); check the labels against the number of classes");
  }
}

const Tensor& SoftmaxCrossEntropyLoss::host_values(const Tensor& target,
                                                   const Tensor* host_target) {
  if (target.on_cpu()) return target;
  if (host_target != nullptr) {
    STRATA_CHECK(host_target->on_cpu() && host_target->numel() == target.numel(),
                 "softmax_cross_entropy: the host copy of the target must be a CPU tensor of "
                     << target.numel() << " values, got " << host_target->shape().str() << " on "
                     << host_target->device().str());
    return *host_target;
  }
  if (host_copy_.empty()) host_copy_ = Tensor(target.shape());
  host_copy_.resize(target.shape());
  copy(host_copy_, target);
  return host_copy_;
}

float SoftmaxCrossEntropyLoss::forward_backward(const Tensor& pred, const Tensor& target,
                                                Tensor& dpred) {
  checked_forward_backward(pred, target, nullptr, dpred, value_.on(pred.device()));
  return value_.get();
}

float SoftmaxCrossEntropyLoss::forward_backward(const Tensor& pred, const Tensor& target,
                                                const Tensor& host_target, Tensor& dpred) {
  checked_forward_backward(pred, target, &host_target, dpred, value_.on(pred.device()));
  return value_.get();
}

void SoftmaxCrossEntropyLoss::forward_backward_to(const Tensor& pred, const Tensor& target,
                                                  Tensor& dpred, float* value) {
  checked_forward_backward(pred, target, nullptr, dpred, value);
}

void SoftmaxCrossEntropyLoss::forward_backward_to(const Tensor& pred, const Tensor& target,
                                                  const Tensor& host_target, Tensor& dpred,
                                                  float* value) {
  checked_forward_backward(pred, target, &host_target, dpred, value);
}

void SoftmaxCrossEntropyLoss::checked_forward_backward(const Tensor& pred, const Tensor& target,
                                                       const Tensor* host_target, Tensor& dpred,
                                                       float* value) {
  const int64_t k = check_shapes(pred, target);
  check_class_indices(host_values(target, host_target), k);
  prepare_grad(pred, dpred);
  dispatch(backend_for(pred.device()), [&](auto& be) {
    softmax_cross_entropy_forward_backward(be, pred.dim(0), k, pred.data(), target.data(),
                                           dpred.data(), value);
  });
}

float SoftmaxCrossEntropyLoss::forward(const Tensor& pred, const Tensor& target) {
  const int64_t k = check_shapes(pred, target);
  check_class_indices(host_values(target, nullptr), k);
  float* loss = value_.on(pred.device());
  dispatch(backend_for(pred.device()), [&](auto& be) {
    softmax_cross_entropy_forward(be, pred.dim(0), k, pred.data(), target.data(), loss);
  });
  return value_.get();
}

}  // namespace strata
