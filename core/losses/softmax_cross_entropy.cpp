// Softmax cross-entropy (core/ops/softmax_cross_entropy.h): checks the shapes and validates every
// target (an integer in [0, K)) in a serial pass before the op, so that the error can name the
// sample; then runs the op.
#include "core/losses/loss.h"

#include <cmath>

#include "core/error.h"
#include "core/ops/softmax_cross_entropy.h"

namespace strata {

namespace {

// Checks shapes and every target; returns K.
int64_t check_inputs(const Tensor& pred, const Tensor& target) {
  STRATA_CHECK(pred.rank() == 2 && pred.dim(0) > 0 && pred.dim(1) > 0,
               "softmax_cross_entropy: logits must be [N, K] with N, K > 0, got "
                   << pred.shape().str() << " (target " << target.shape().str()
                   << "); flatten the model output with a dense layer of K units");
  const int64_t n = pred.dim(0), k = pred.dim(1);
  const bool target_ok = (target.rank() == 1 && target.dim(0) == n) ||
                         (target.rank() == 2 && target.dim(0) == n && target.dim(1) == 1);
  STRATA_CHECK(target_ok, "softmax_cross_entropy: logits "
                              << pred.shape().str() << " need a target "
                              << "of shape [" << n << "] (one class index per sample), got "
                              << target.shape().str());
  const float* t = target.data();
  for (int64_t i = 0; i < n; ++i) {
    const float c = t[i];
    // Written so that NaN fails too.
    STRATA_CHECK(c >= 0.0f && c < static_cast<float>(k) && c == std::floor(c),
                 "softmax_cross_entropy: target of sample "
                     << i << " is " << c << ", not a class index in [0, " << k
                     << "); check the labels against the number of classes");
  }
  return k;
}

}  // namespace

float SoftmaxCrossEntropyLoss::forward_backward(const Tensor& pred, const Tensor& target,
                                                Tensor& dpred) {
  const int64_t k = check_inputs(pred, target);
  if (dpred.shape() != pred.shape()) dpred.resize(pred.shape());
  float* loss = value_.on(pred.device());
  dispatch(backend_for(pred.device()), [&](auto& be) {
    softmax_cross_entropy_forward_backward(be, pred.dim(0), k, pred.data(), target.data(),
                                           dpred.data(), loss);
  });
  return value_.get();
}

float SoftmaxCrossEntropyLoss::forward(const Tensor& pred, const Tensor& target) {
  const int64_t k = check_inputs(pred, target);
  float* loss = value_.on(pred.device());
  dispatch(backend_for(pred.device()), [&](auto& be) {
    softmax_cross_entropy_forward(be, pred.dim(0), k, pred.data(), target.data(), loss);
  });
  return value_.get();
}

}  // namespace strata
