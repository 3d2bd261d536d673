#include "trainers/autoencoder_step.h"

#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace strata {

AutoencoderStep::AutoencoderStep(ParallelNet& net, Optimizer& opt, const AutoencoderStepOptions& o)
    : pnet_(net), opt_(opt), o_(o) {
  STRATA_CHECK(o.mask_probability >= 0.0f && o.mask_probability < 1.0f,
               "the masking probability must be in [0, 1), got " << o.mask_probability);
  Sequential& m = net.net();
  STRATA_CHECK(m.input_sample_shape().numel() == m.output_sample_shape().numel(),
               "an autoencoder's output must have its input's size: input "
                   << m.input_sample_shape().str() << ", output " << m.output_sample_shape().str());
}

void AutoencoderStep::corrupt(const Tensor& x, const BatchPosition& pos) {
  noisy_.resize(x.shape());
  const int64_t n = x.dim(0), per = x.numel() / n;
  const float p = o_.mask_probability;
  const float* src = x.data();
  float* dst = noisy_.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    RandomStream rng(o_.seed, RngPurpose::kCorruption, 0, pos.step,
                     static_cast<uint64_t>(pos.sample_offset + i));
    const float* a = src + i * per;
    float* b = dst + i * per;
    for (int64_t j = 0; j < per; ++j) b[j] = rng.uniform() < p ? 0.0f : a[j];
  }
}

float AutoencoderStep::run(const Tensor& x, const BatchPosition& pos) {
  const int64_t n = x.dim(0);
  STRATA_CHECK(
      n > 0 && n <= pos.global_batch,
      "a rank's batch of " << n << " samples does not fit a global batch of " << pos.global_batch);
  Sequential& m = pnet_.net();
  const StepContext ctx = train_context(o_.seed, pos);
  const Tensor* in = &x;
  if (o_.mask_probability > 0.0f) {
    corrupt(x, pos);
    in = &noisy_;
  }
  m.zero_grads();
  const Tensor& y = m.forward(*in, ctx);
  const Tensor target = x.reshaped(y.shape());  // reconstruct the clean input
  dy_.resize(y.shape());
  const float loss = mse_.forward_backward(y, target, dy_);
  STRATA_CHECK(std::isfinite(loss),
               "the loss became " << loss << " at step " << pos.step << "; lower optimizer.lr");
  scale_grad(dy_, ParallelNet::grad_scale(n, pos.global_batch));
  pnet_.reduce_next_backward();
  m.backward(dy_, ctx, false);
  pnet_.finish_reduce();
  opt_.step(m.params(), m.grads());
  return loss;
}

}  // namespace strata
