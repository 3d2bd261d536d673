// Mean squared error (core/ops/mse.h): checks the shapes, runs the op.
#include "core/losses/loss.h"

#include "core/error.h"
#include "core/ops/mse.h"

namespace strata {

namespace {

void check_shapes(const Tensor& pred, const Tensor& target) {
  check_same_device("mse", pred, target);
  STRATA_CHECK(pred.shape() == target.shape(),
               "mse: prediction " << pred.shape().str() << " and target " << target.shape().str()
                                  << " differ in shape; the target must have the model output's "
                                     "shape");
  STRATA_CHECK(pred.numel() > 0, "mse: empty prediction " << pred.shape().str());
}

}  // namespace

float MSELoss::forward_backward(const Tensor& pred, const Tensor& target, Tensor& dpred) {
  forward_backward_to(pred, target, dpred, value_.on(pred.device()));
  return value_.get();
}

void MSELoss::forward_backward_to(const Tensor& pred, const Tensor& target, Tensor& dpred,
                                  float* value) {
  check_shapes(pred, target);
  prepare_grad(pred, dpred);
  dispatch(backend_for(pred.device()), [&](auto& be) {
    mse_forward_backward(be, pred.numel(), pred.data(), target.data(), dpred.data(), value);
  });
}

float MSELoss::forward(const Tensor& pred, const Tensor& target) {
  check_shapes(pred, target);
  float* loss = value_.on(pred.device());
  dispatch(backend_for(pred.device()),
           [&](auto& be) { mse_forward(be, pred.numel(), pred.data(), target.data(), loss); });
  return value_.get();
}

}  // namespace strata
