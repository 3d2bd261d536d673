#include "core/layers/dense.h"

#include "core/error.h"
#include "core/ops/dense.h"

namespace strata {

Dense::Dense(const DenseOptions& o) : o_(o) {
  STRATA_CHECK(o.units > 0, "dense: units must be positive, got " << o.units);
}

Shape Dense::build(const Shape& in) {
  STRATA_CHECK(in.rank() == 2, "dense expects input [N, features], got "
                                   << in.str() << "; put a 'flatten' layer before it");
  in_ = in[1];
  return Shape{in[0], o_.units};
}

std::vector<ParamSpec> Dense::param_specs() const {
  InitSpec wi{o_.init, o_.init_stddev, in_, o_.units};
  std::vector<ParamSpec> specs{{"weight", Shape{o_.units, in_}, wi, true}};
  if (o_.bias) specs.push_back({"bias", Shape{o_.units}, InitSpec::zeros(), false});
  return specs;
}

void Dense::bind(std::span<Tensor> params, std::span<Tensor> grads) {
  w_ = params[0];
  dw_ = grads[0];
  if (o_.bias) {
    b_ = params[1];
    db_ = grads[1];
  }
}

ScratchNeeds Dense::setup(const Shape& in, Backend& backend) {
  const DenseDims d{in[0], in_, o_.units, precision_};
  return {.workspace = dispatch(backend, [&](auto& be) { return dense_workspace(be, d); }),
          .saved = 0};
}

void Dense::bind_scratch(Tensor workspace, Tensor) {
  workspace_ = workspace;
}

void Dense::forward(const Tensor& x, Tensor& y, const StepContext& ctx) {
  const DenseDims d{x.dim(0), in_, o_.units, precision_};
  dispatch(*ctx.backend, [&](auto& be) {
    const float* b = o_.bias ? b_.data() : nullptr;
    if (relu_fused_)
      dense_relu_forward(be, d, x.data(), w_.data(), b, y.data(), workspace_.data());
    else
      dense_forward(be, d, x.data(), w_.data(), b, y.data(), workspace_.data());
  });
}

void Dense::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                     const StepContext& ctx) {
  const DenseDims d{x.dim(0), in_, o_.units, precision_};
  const bool grads = ctx.param_grads;
  dispatch(*ctx.backend, [&](auto& be) {
    dense_backward(be, d, x.data(), w_.data(), dy.data(), grads ? dw_.data() : nullptr,
                   grads && o_.bias ? db_.data() : nullptr, dx ? dx->data() : nullptr,
                   workspace_.data());
  });
}

}  // namespace strata
