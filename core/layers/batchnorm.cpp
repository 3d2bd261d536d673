// BatchNorm (batchnorm.h): construction, build, parameters, scratch, and forward and backward
// over this rank's batch (train and eval mode). The synchronised train-mode path, over the global
// batch of all ranks, is in batchnorm_sync.cpp. The compute is core/ops/batchnorm.h's.
#include "core/layers/batchnorm.h"

#include "core/error.h"

namespace strata {

BatchNorm::BatchNorm(const BatchNormOptions& o) : o_(o) {
  STRATA_CHECK(o.momentum >= 0.0f && o.momentum <= 1.0f,
               "batchnorm: momentum must be in [0, 1], got " << o.momentum);
  STRATA_CHECK(o.eps > 0.0f, "batchnorm: eps must be positive, got " << o.eps);
}

Shape BatchNorm::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 2 || in.rank() == 4,
               "batchnorm expects input [N, C] (1-D) or [N, C, H, W] (2-D), got "
                   << in.str() << " (rank " << in.rank() << ")");
  c_ = in[1];
  spatial_ = in.rank() == 4 ? in[2] * in[3] : 1;
  STRATA_CHECK(c_ > 0 && spatial_ > 0, "batchnorm: input " << in.str() << " has no values");
  running_mean_ = Tensor::zeros(Shape{c_});
  running_var_ = Tensor(Shape{c_});
  running_var_.fill(1.0f);
  return in;
}

std::vector<ParamSpec> BatchNorm::param_specs() const {
  if (!o_.affine) return {};
  return {{"weight", Shape{c_}, InitSpec::ones(), false},
          {"bias", Shape{c_}, InitSpec::zeros(), false}};
}

void BatchNorm::bind(std::span<Tensor> params, std::span<Tensor> grads) {
  if (!o_.affine) return;
  gamma_ = params[0];
  beta_ = params[1];
  dgamma_ = grads[0];
  dbeta_ = grads[1];
}

ScratchNeeds BatchNorm::setup(const Shape&, Backend&) {
  return {.workspace = 2 * c_, .saved = 2 * c_};
}

void BatchNorm::bind_scratch(Tensor workspace, Tensor saved) {
  workspace_ = workspace;
  saved_ = saved;
}

BatchNormArgs BatchNorm::args(int64_t batch) const {
  return BatchNormArgs{batch, c_, spatial_, o_.momentum, static_cast<double>(o_.eps)};
}

BatchNormBuffers BatchNorm::buffers() {
  BatchNormBuffers b;
  b.gamma = o_.affine ? gamma_.data() : nullptr;
  b.beta = o_.affine ? beta_.data() : nullptr;
  b.running_mean = running_mean_.data();
  b.running_var = running_var_.data();
  b.mean = saved_.data();
  b.invstd = saved_.data() + c_;
  return b;
}

void BatchNorm::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  STRATA_CHECK(saved_.numel() >= 2 * c_, "batchnorm: forward before setup()");
  if (ctx.training && sum_) {
    forward_synced(x, y, ctx);
    return;
  }
  const int64_t m = x.dim(0) * spatial_;
  STRATA_CHECK(!ctx.training || m > 1,
               "batchnorm in train mode needs more than one value per channel, "
               "got input "
                   << x.shape().str() << "; use a batch size above 1");
  const BatchNormArgs a = args(x.dim(0));
  const BatchNormBuffers b = buffers();
  dispatch(*ctx.backend,
           [&](auto& be) { batchnorm_forward(be, a, b, ctx.training, x.data(), y.data()); });
}

void BatchNorm::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                         const StepContext& ctx) {
  const bool pgrads = ctx.param_grads && o_.affine;
  if (!pgrads && !dx) return;
  // Without dx (the model's first layer) only the local dgamma and dbeta are wanted, and no global
  // sum is needed; the model is the same on every rank, so all ranks skip it alike.
  if (ctx.training && sum_ && dx) {
    backward_synced(x, dy, *dx, pgrads, ctx);
    return;
  }
  const BatchNormArgs a = args(x.dim(0));
  const BatchNormBuffers b = buffers();
  dispatch(*ctx.backend, [&](auto& be) {
    batchnorm_backward(be, a, b, ctx.training, x.data(), dy.data(),
                       pgrads ? dgamma_.data() : nullptr, pgrads ? dbeta_.data() : nullptr,
                       dx ? dx->data() : nullptr);
  });
}

}  // namespace strata
