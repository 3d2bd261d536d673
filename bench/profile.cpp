#include "bench/profile.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "core/error.h"
#include "core/rng.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

template <class F>
double time_median(int reps, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    f();
    t.push_back(ms_since(t0));
  }
  return median(std::move(t));
}

struct ModelTimes {
  double fwd = 0, bwd = 0, bwd_frozen = 0;  // sums over layers of the medians
};

// Runs each layer of `m` on its own, with buffers of this input's shapes: forward in order, then
// backward in reverse (parameter gradients on), then, if `frozen`, backward again without
// parameter gradients but with the input gradient (a frozen discriminator).
ModelTimes profile_model(Sequential& m, const Tensor& x, const char* title, bool frozen, int reps,
                         std::FILE* out) {
  StepContext ctx;
  m.forward(x, ctx);  // sizes the layers' scratch for this batch
  const int n = m.num_layers();
  std::vector<Tensor> ys(n), gs(n + 1);  // gs[i]: dL/d(input of layer i); gs[n]: dL/d(output)
  for (int i = 0; i < n; ++i) {
    ys[i] = Tensor(m.activation_shape(i));
    gs[i] = Tensor(i == 0 ? x.shape() : m.activation_shape(i - 1));
  }
  gs[n] = Tensor(m.activation_shape(n - 1));
  gs[n].fill(1e-3f);
  std::vector<std::vector<double>> fwd(n), bwd(n), bwd_frozen(n);
  StepContext no_params = ctx;
  no_params.param_grads = false;
  for (int r = 0; r < reps; ++r) {
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      m.layer(i).forward(i ? ys[i - 1] : x, ys[i], ctx);
      fwd[i].push_back(ms_since(t0));
    }
    for (int i = n - 1; i >= 0; --i) {
      const auto t0 = Clock::now();
      m.layer(i).backward(i ? ys[i - 1] : x, ys[i], gs[i + 1], i ? &gs[i] : nullptr, ctx);
      bwd[i].push_back(ms_since(t0));
    }
    if (!frozen) continue;
    for (int i = n - 1; i >= 0; --i) {
      const auto t0 = Clock::now();
      m.layer(i).backward(i ? ys[i - 1] : x, ys[i], gs[i + 1], &gs[i], no_params);
      bwd_frozen[i].push_back(ms_since(t0));
    }
  }
  m.zero_grads();

  std::fprintf(out, "%s, input %s\n", title, x.shape().str().c_str());
  std::fprintf(out, "  %-22s %-20s %10s %10s%s\n", "layer", "output", "fwd ms", "bwd ms",
               frozen ? "  bwd ms (no param grads)" : "");
  ModelTimes t;
  for (int i = 0; i < n; ++i) {
    const double f = median(fwd[i]), b = median(bwd[i]), bf = median(bwd_frozen[i]);
    t.fwd += f;
    t.bwd += b;
    t.bwd_frozen += bf;
    std::fprintf(out, "  %-22s %-20s %10.3f %10.3f", m.layer_name(i).c_str(),
                 ys[i].shape().str().c_str(), f, b);
    if (frozen) std::fprintf(out, " %10.3f", bf);
    std::fprintf(out, "\n");
  }
  std::fprintf(out, "  %-22s %-20s %10.3f %10.3f", "total", "", t.fwd, t.bwd);
  if (frozen) std::fprintf(out, " %10.3f", t.bwd_frozen);
  std::fprintf(out, "\n");
  return t;
}

struct OptimTimes {
  double zero = 0, adam = 0;
};

OptimTimes profile_optimizer(Sequential& m, int reps) {
  OptimTimes t;
  t.zero = time_median(reps, [&] { m.zero_grads(); });
  Adam adam(AdamOptions{});
  adam.step(m.params(), m.grads());  // allocates the moments
  t.adam = time_median(reps, [&] { adam.step(m.params(), m.grads()); });
  return t;
}

}  // namespace

void profile_step(TrainStep& step, const Tensor& real, int reps, std::FILE* out) {
  reps = std::max(reps, 1);
  if (auto* ae = dynamic_cast<AutoencoderStep*>(&step)) {
    Sequential& m = ae->net();
    const ModelTimes t = profile_model(m, real, "autoencoder", false, reps, out);
    Tensor dy(m.output().shape());
    MSELoss mse;
    const double loss = time_median(reps, [&] { mse.forward_backward(m.output(), real, dy); });
    const OptimTimes o = profile_optimizer(m, reps);
    std::fprintf(out, "  mse %.3f ms, zero_grads %.3f ms, adam %.3f ms (%lld params)\n", loss,
                 o.zero, o.adam, static_cast<long long>(m.num_params()));
    std::fprintf(out, "  sum of parts: %.3f ms per step\n", t.fwd + t.bwd + loss + o.zero + o.adam);
    return;
  }
  auto* gs = dynamic_cast<GanStep*>(&step);
  STRATA_CHECK(gs != nullptr, "profile: unknown kind of training step");
  Gan& gan = gs->gan();
  Tensor z(batched(real.dim(0), gan.z_sample));
  RandomStream rng(1, RngPurpose::kTest, 2, 0, 0);
  for (int64_t i = 0; i < z.numel(); ++i) z[i] = rng.normal();
  const ModelTimes g = profile_model(gan.g, z, "generator", false, reps, out);
  const ModelTimes d = profile_model(gan.d, real, "discriminator", true, reps, out);
  Tensor logits = gan.d.output();  // shares D's output buffer; only read below
  Tensor target = Tensor::zeros(logits.shape()), dlogit(logits.shape());
  BCEWithLogitsLoss bce;
  const double loss = time_median(reps, [&] { bce.forward_backward(logits, target, dlogit); });
  const OptimTimes og = profile_optimizer(gan.g, reps);
  const OptimTimes od = profile_optimizer(gan.d, reps);
  std::fprintf(out,
               "  bce %.3f ms; G: zero_grads %.3f ms, adam %.3f ms; D: zero_grads %.3f ms, "
               "adam %.3f ms\n",
               loss, og.zero, og.adam, od.zero, od.adam);
  // One GAN step: G fwd + bwd, D fwd x3, D bwd with param grads x2, D bwd frozen x1.
  std::fprintf(
      out, "  sum of parts: G %.3f ms, D %.3f ms, losses and optimizers %.3f ms; step %.3f ms\n",
      g.fwd + g.bwd, 3 * d.fwd + 2 * d.bwd + d.bwd_frozen,
      3 * loss + og.zero + og.adam + od.zero + od.adam,
      g.fwd + g.bwd + 3 * d.fwd + 2 * d.bwd + d.bwd_frozen + 3 * loss + og.zero + og.adam +
          od.zero + od.adam);
}

}  // namespace strata::bench
