#include "core/layers/dense.h"

#include "core/blas.h"
#include "core/error.h"

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

void Dense::forward(const Tensor& x, Tensor& y, const StepContext&) {
  const int64_t n = x.dim(0), out = o_.units;
  float* yp = y.data();
  if (o_.bias) {  // y = b, then y += x W^T
    const float* b = b_.data();
#pragma omp parallel for if (n * out >= 32768)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < out; ++j) yp[i * out + j] = b[j];
  }
  gemm(false, true, n, out, in_, 1.0f, x.data(), in_, w_.data(), in_, o_.bias ? 1.0f : 0.0f, yp,
       out);
}

void Dense::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                     const StepContext& ctx) {
  const int64_t n = x.dim(0), out = o_.units;
  if (ctx.param_grads) {
    gemm(true, false, out, in_, n, 1.0f, dy.data(), out, x.data(), in_, 1.0f, dw_.data(), in_);
    if (o_.bias) {
      float* db = db_.data();
      const float* g = dy.data();
#pragma omp parallel for if (n * out >= 32768)
      for (int64_t j = 0; j < out; ++j) {
        float s = 0.0f;
        for (int64_t i = 0; i < n; ++i) s += g[i * out + j];
        db[j] += s;
      }
    }
  }
  if (dx)
    gemm(false, false, n, in_, out, 1.0f, dy.data(), out, w_.data(), in_, 0.0f, dx->data(), in_);
}

}  // namespace strata
