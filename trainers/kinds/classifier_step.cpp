// The data-parallel classifier step (trainers/kinds/classifier_step.h).
#include "trainers/kinds/classifier_step.h"

#include "core/error.h"
#include "core/ops/accuracy.h"
#include "trainers/device_input.h"

namespace strata {

ClassifierStep::ClassifierStep(ParallelNet& net, Optimizer& opt, uint64_t seed)
    : pnet_(net), opt_(opt), seed_(seed) {
  STRATA_CHECK(net.net().output_sample_shape().rank() == 1,
               "a classifier must end in class logits [classes], got "
                   << net.net().output_sample_shape().str());
  loss_slot_ = values_.add_slots("loss");
  accuracy_slot_ = values_.add_slots("accuracy");
  values_.log("loss", loss_slot_);
  values_.log("accuracy", accuracy_slot_);
  values_.place(net.net().device());
}

const StepValues& ClassifierStep::run(const Tensor& images, const Tensor& labels,
                                      const BatchPosition& pos, const Tensor* given_host_labels) {
  const int64_t n = images.dim(0);
  STRATA_CHECK(
      n > 0 && n <= pos.global_batch,
      "a rank's batch of " << n << " samples does not fit a global batch of " << pos.global_batch);
  STRATA_CHECK(labels.numel() == n, "a classifier step needs one label per sample: "
                                        << n << " samples, " << labels.numel()
                                        << " labels (does the data set have labels?)");
  Sequential& m = pnet_.net();
  const Tensor& x = on_device(images, m.device(), x_);
  // The labels on the host (as the batch usually has them) for the loss's check, and on the
  // device for the loss and the accuracy.
  const Tensor& host_labels = given_host_labels && !given_host_labels->empty()
                                  ? *given_host_labels
                                  : on_host(labels, host_labels_);
  const Tensor& device_labels = on_device(labels, m.device(), labels_);
  const StepContext ctx = train_context(seed_, pos);
  m.zero_grads();
  const Tensor& z = m.forward(x, ctx);
  values_.place(m.device());
  loss_.forward_backward_to(z, device_labels, host_labels, dy_, values_.slot(loss_slot_));
  const int64_t k = z.numel() / n;
  dispatch(m.backend(), [&](auto& be) {
    accuracy(be, n, k, z.data(), device_labels.data(), values_.slot(accuracy_slot_));
  });
  scale_grad(dy_, ParallelNet::grad_scale(n, pos.global_batch));
  pnet_.reduce_next_backward();
  m.backward(dy_, ctx, false);
  pnet_.finish_reduce();
  opt_.step(m.params(), m.grads());
  return values_;
}

}  // namespace strata
