// Binary cross-entropy on logits (core/ops/bce_logits.h): checks the shapes, runs the op.
#include "core/losses/loss.h"

#include "core/error.h"
#include "core/ops/bce_logits.h"

namespace strata {

namespace {

void check_shapes(const Tensor& pred, const Tensor& target) {
  check_same_device("bce_logits", pred, target);
  STRATA_CHECK(pred.shape() == target.shape(),
               "bce_logits: logits " << pred.shape().str() << " and target " << target.shape().str()
                                     << " differ in shape; give one target in [0, 1] per logit");
  STRATA_CHECK(pred.numel() > 0, "bce_logits: empty prediction " << pred.shape().str());
}

}  // namespace

float BCEWithLogitsLoss::forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) {
  forward_backward_to(pred, target, dpred, value_.on(pred.device()));
  return value_.get();
}

void BCEWithLogitsLoss::forward_backward_to(const Tensor& pred, const Tensor& target, Tensor& dpred,
                                            float* value) {
  check_shapes(pred, target);
  prepare_grad(pred, dpred);
  dispatch(backend_for(pred.device()), [&](auto& be) {
    bce_logits_forward_backward(be, pred.numel(), pred.data(), target.data(), dpred.data(), value);
  });
}

float BCEWithLogitsLoss::forward(const Tensor& pred, const Tensor& target) {
  check_shapes(pred, target);
  float* loss = value_.on(pred.device());
  dispatch(backend_for(pred.device()), [&](auto& be) {
    bce_logits_forward(be, pred.numel(), pred.data(), target.data(), loss);
  });
  return value_.get();
}

}  // namespace strata
