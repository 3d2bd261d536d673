// What every loss shares (core/losses/loss.h): its inputs on one device, its gradient made there.
#include "core/losses/loss.h"

#include "core/error.h"

namespace strata {

void check_same_device(const char* loss, const Tensor& pred, const Tensor& target) {
  STRATA_CHECK(target.device() == pred.device(),
               loss << ": the prediction lives on " << pred.device().str() << " but the target on "
                    << target.device().str() << "; copy the target to the prediction's device "
                    << "first (Tensor::to)");
}

void prepare_grad(const Tensor& pred, Tensor& dpred) {
  if (!(dpred.device() == pred.device()) || dpred.empty())
    dpred = Tensor(pred.shape(), pred.device());
  else if (dpred.shape() != pred.shape())
    dpred.resize(pred.shape());
}

}  // namespace strata
