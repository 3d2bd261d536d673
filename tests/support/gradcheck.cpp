#include "tests/support/gradcheck.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/rng.h"
#include "core/sequential.h"

namespace strata::testing {

void fill_random(Tensor& t, uint32_t stream, float scale, float margin) {
  RandomStream rng(99, RngPurpose::kTest, stream, 0, 0);
  for (int64_t i = 0; i < t.numel(); ++i) {
    float v = rng.normal() * scale;
    if (margin > 0.0f && std::fabs(v) < margin) v = v < 0 ? v - margin : v + margin;
    t[i] = v;
  }
}

namespace {

bool close(double a, double n, const GradCheckOptions& o) {
  return std::fabs(a - n) <= o.atol + o.rtol * std::max(std::fabs(a), std::fabs(n));
}

double dot(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// Compares analytic gradient `ana` of scalar f with respect to `x` with central differences.
int compare(Tensor& x, const Tensor& ana, const std::function<double()>& f, const std::string& what,
            const GradCheckOptions& opt) {
  const int64_t n = x.numel();
  const int64_t stride = std::max<int64_t>(1, n / opt.max_checks);
  int bad = 0;
  for (int64_t i = 0; i < n; i += stride) {
    const float saved = x[i];
    x[i] = saved + opt.eps;
    const double lp = f();
    x[i] = saved - opt.eps;
    const double lm = f();
    x[i] = saved;
    const double num = (lp - lm) / (2.0 * opt.eps);
    if (!close(ana[i], num, opt)) {
      if (++bad <= 5)
        ADD_FAILURE() << what << "[" << i << "]: analytic " << ana[i] << " vs numeric " << num;
    }
  }
  return bad;
}

}  // namespace

LayerScratch setup_layer(Layer& layer, const Shape& in) {
  const ScratchNeeds needs = layer.setup(in, cpu_backend());
  LayerScratch s;
  if (needs.workspace > 0) s.workspace = Tensor(Shape{needs.workspace});
  if (needs.saved > 0) s.saved = Tensor(Shape{needs.saved});
  layer.bind_scratch(s.workspace, s.saved);
  return s;
}

int check_layer_gradients(Layer& layer, const Shape& in_shape, const GradCheckOptions& opt,
                          float input_margin) {
  Sequential model;
  // Wrap in a model so parameters get flat buffers, exactly as in training. The layer is borrowed:
  // a no-op deleter keeps ownership with the caller.
  struct Borrowed final : Layer {
    Layer& inner;
    explicit Borrowed(Layer& l) : inner(l) {}
    const char* kind() const override { return inner.kind(); }
    Shape build(const Shape& in) override { return inner.build(in); }
    std::vector<ParamSpec> param_specs() const override { return inner.param_specs(); }
    void bind(std::span<Tensor> p, std::span<Tensor> g) override { inner.bind(p, g); }
    std::vector<Tensor*> state() override { return inner.state(); }
    ScratchNeeds setup(const Shape& in, Backend& be) override { return inner.setup(in, be); }
    void bind_scratch(Tensor ws, Tensor saved) override { inner.bind_scratch(ws, saved); }
    void forward(const Tensor& x, Tensor& y, const StepContext& c) override {
      inner.forward(x, y, c);
    }
    void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                  const StepContext& c) override {
      inner.backward(x, y, dy, dx, c);
    }
  };
  model.add(std::make_unique<Borrowed>(layer));
  Shape sample;
  switch (in_shape.rank()) {
    case 2:
      sample = Shape{in_shape[1]};
      break;
    case 3:
      sample = Shape{in_shape[1], in_shape[2]};
      break;
    default:
      sample = Shape{in_shape[1], in_shape[2], in_shape[3]};
      break;
  }
  model.build(sample, opt.seed);
  // Give zero-initialised parameters (biases, BN beta) random values so every path is exercised.
  for (auto& p : model.named_params())
    fill_random(p.value, 7 + static_cast<uint32_t>(p.offset), 0.5f);

  Tensor x(in_shape);
  fill_random(x, 1, 1.0f, input_margin);
  StepContext ctx;
  ctx.training = opt.training;
  ctx.seed = opt.seed;

  const Tensor& y0 = model.forward(x, ctx);
  Tensor r(y0.shape());
  fill_random(r, 2);
  auto loss = [&]() { return dot(model.forward(x, ctx), r); };

  model.forward(x, ctx);
  model.zero_grads();
  const Tensor* dx = model.backward(r, ctx, true);
  Tensor ana_x(x.shape());
  ana_x.copy_from(*dx);
  Tensor ana_p(model.grads().shape());
  ana_p.copy_from(model.grads());

  int bad = compare(x, ana_x, loss, std::string(layer.kind()) + " dL/dx", opt);
  for (auto& p : model.named_params()) {
    Tensor g = Tensor::view(ana_p.data() + p.offset, p.value.shape());
    bad += compare(p.value, g, loss, std::string(layer.kind()) + " dL/d" + p.name, opt);
  }
  return bad;
}

int check_loss_gradient(Loss& loss, Tensor pred, const Tensor& target,
                        const GradCheckOptions& opt) {
  Tensor d(pred.shape());
  loss.forward_backward(pred, target, d);
  auto f = [&]() { return static_cast<double>(loss.forward(pred, target)); };
  return compare(pred, d, f, std::string(loss.kind()) + " dL/dpred", opt);
}

int check_function_gradient(const std::function<float(const Tensor&)>& f,
                            const std::function<void(const Tensor&, Tensor&)>& grad, Tensor x,
                            const std::string& what, const GradCheckOptions& opt) {
  Tensor g(x.shape());
  grad(x, g);
  auto fx = [&]() { return static_cast<double>(f(x)); };
  return compare(x, g, fx, what, opt);
}

}  // namespace strata::testing
