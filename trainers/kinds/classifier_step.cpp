// The data-parallel classifier step (trainers/kinds/classifier_step.h).
#include "trainers/kinds/classifier_step.h"

#include <cmath>

#include "core/error.h"
#include "trainers/device_input.h"

namespace strata {

ClassifierStep::ClassifierStep(ParallelNet& net, Optimizer& opt, uint64_t seed)
    : pnet_(net), opt_(opt), seed_(seed) {
  STRATA_CHECK(net.net().output_sample_shape().rank() == 1,
               "a classifier must end in class logits [classes], got "
                   << net.net().output_sample_shape().str());
}

float accuracy(const Tensor& logits, const Tensor& labels) {
  STRATA_CHECK(logits.on_cpu() && labels.on_cpu(),
               "accuracy reads logits and labels on the host; they are on "
                   << logits.device().str() << " and " << labels.device().str());
  const int64_t n = logits.dim(0), k = logits.numel() / n;
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * k;
    int64_t best = 0;
    for (int64_t c = 1; c < k; ++c)
      if (row[c] > row[best]) best = c;
    right += best == static_cast<int64_t>(labels[i]) ? 1 : 0;
  }
  return static_cast<float>(right) / static_cast<float>(n);
}

ClassifierStepResult ClassifierStep::run(const Tensor& images, const Tensor& labels,
                                         const BatchPosition& pos,
                                         const Tensor* given_host_labels) {
  const int64_t n = images.dim(0);
  STRATA_CHECK(
      n > 0 && n <= pos.global_batch,
      "a rank's batch of " << n << " samples does not fit a global batch of " << pos.global_batch);
  STRATA_CHECK(labels.numel() == n, "a classifier step needs one label per sample: "
                                        << n << " samples, " << labels.numel()
                                        << " labels (does the data set have labels?)");
  Sequential& m = pnet_.net();
  const Tensor& x = on_device(images, m.device(), x_);
  // The labels on the host (as the batch usually has them) for the loss's check and the
  // accuracy, and on the device for the loss.
  const Tensor& host_labels = given_host_labels && !given_host_labels->empty()
                                  ? *given_host_labels
                                  : on_host(labels, host_labels_);
  const Tensor& device_labels = on_device(labels, m.device(), labels_);
  const StepContext ctx = train_context(seed_, pos);
  m.zero_grads();
  const Tensor& z = m.forward(x, ctx);
  ClassifierStepResult r;
  r.loss = loss_.forward_backward(z, device_labels, host_labels, dy_);
  STRATA_CHECK(std::isfinite(r.loss),
               "the loss became " << r.loss << " at step " << pos.step << "; lower optimizer.lr");
  r.accuracy = accuracy(on_host(z, host_logits_), host_labels);
  scale_grad(dy_, ParallelNet::grad_scale(n, pos.global_batch));
  pnet_.reduce_next_backward();
  m.backward(dy_, ctx, false);
  pnet_.finish_reduce();
  opt_.step(m.params(), m.grads());
  return r;
}

}  // namespace strata
