// The CUDA loss and penalty ops against the CPU ops, at the benchmark models' shapes and at edge
// shapes, each run twice for determinism (the same bits). The ops write their value into device
// memory; only the test reads it back.
//
// Tolerances (fp32; the value sums run in double in another order than the CPU's chunks):
// - values without exp or log (mse, L1, weight decay): the host mirror of the kernel
//   (block_sum_on_host) bit for bit, and within 1 ulp of the CPU op;
// - values with exp or log (bce_logits, sigmoid_mean, softmax cross-entropy, KL): relative 1e-6
//   (CUDA's expf is within 2 ulp, logf and log1pf within 1, the double ones within 1);
// - gradients, column sums and means: the CPU's bits, except bce_logits and softmax
//   cross-entropy, whose exp makes them agree within 1e-6 / n (the gradient is at most 1 / n).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/losses/loss.h"
#include "core/losses/penalties.h"
#include "core/ops/bce_logits.h"
#include "core/ops/kernels/losses.h"
#include "core/ops/kernels/sparsity.h"
#include "core/ops/mse.h"
#include "core/ops/softmax_cross_entropy.h"
#include "core/ops/sparsity.h"
#include "core/ops/weight_decay.h"
#include "tests/core/gpu/op_check.h"
#include "tests/core/ops/kernels/losses_cases.h"
#include "tests/support/float_compare.h"

namespace strata {
namespace {

using gpu_test::close;
using gpu_test::device_nan;
using gpu_test::download;
using gpu_test::gpu;
using gpu_test::inputs;
using gpu_test::upload;
// The sizes, shapes and inputs of losses_cases.h; ulps.
using namespace test;

float read(const Tensor& scalar) {
  return download(scalar)[0];
}

constexpr float kExpValueRtol = 1e-6f;
constexpr float kExpGradAtol = 1e-6f;  // times 1 / n

TEST(MseGpu, MatchesTheCpuAndIsDeterministic) {
  for (int64_t n : mse_sizes()) {
    const std::vector<float> p = values(n, 0.0f, 1.0f, 1), t = values(n, 0.0f, 1.0f, 2);
    std::vector<float> d(n);
    float loss = 0.0f, fwd = 0.0f;
    mse_forward_backward(cpu_backend(), n, p.data(), t.data(), d.data(), &loss);
    mse_forward(cpu_backend(), n, p.data(), t.data(), &fwd);
    const float mirror = MeanFinish{n}(block_sum_on_host(n, MseTerm{p.data(), t.data()}));
    const float fwd_mirror =
        MeanFinish{n}(block_sum_on_host(n, MseForwardTerm{p.data(), t.data()}));
    Tensor gp = upload(p), gt = upload(t);
    std::vector<float> first_d;
    float first_loss = 0.0f;
    for (int run = 0; run < 2; ++run) {
      Tensor gd = device_nan(n), gl = device_nan(1), gf = device_nan(1);
      mse_forward_backward(gpu(), n, gp.data(), gt.data(), gd.data(), gl.data());
      mse_forward(gpu(), n, gp.data(), gt.data(), gf.data());
      const std::vector<float> got_d = download(gd);
      const float got = read(gl);
      EXPECT_TRUE(close(got_d, d, 0.0f, 0.0f, "mse gradient")) << n;
      EXPECT_EQ(got, mirror) << n;
      EXPECT_LE(ulps(got, loss), 1) << n << ": " << got << " vs " << loss;
      EXPECT_EQ(read(gf), fwd_mirror) << n;
      EXPECT_LE(ulps(read(gf), fwd), 1) << n;
      if (run == 0) {
        first_d = got_d, first_loss = got;
      } else {
        EXPECT_EQ(got, first_loss) << "two runs differ, n " << n;
        EXPECT_TRUE(close(got_d, first_d, 0.0f, 0.0f, "second run's gradient")) << n;
      }
    }
  }
}

TEST(BceLogitsGpu, MatchesTheCpuAndIsDeterministic) {
  for (int64_t n : bce_sizes()) {
    const std::vector<float> z = gan_logits(n, 3), t = bce_targets(n);
    std::vector<float> d(n);
    float loss = 0.0f, mean = 0.0f;
    bce_logits_forward_backward(cpu_backend(), n, z.data(), t.data(), d.data(), &loss);
    sigmoid_mean(cpu_backend(), n, z.data(), &mean);
    Tensor gz = upload(z), gt = upload(t);
    std::vector<float> first_d;
    float first_loss = 0.0f, first_mean = 0.0f;
    for (int run = 0; run < 2; ++run) {
      Tensor gd = device_nan(n), gl = device_nan(1), gf = device_nan(1), gm = device_nan(1);
      bce_logits_forward_backward(gpu(), n, gz.data(), gt.data(), gd.data(), gl.data());
      bce_logits_forward(gpu(), n, gz.data(), gt.data(), gf.data());
      sigmoid_mean(gpu(), n, gz.data(), gm.data());
      const std::vector<float> got_d = download(gd);
      const float got = read(gl), got_mean = read(gm);
      EXPECT_TRUE(close(got_d, d, 0.0f, kExpGradAtol / static_cast<float>(n), "bce gradient")) << n;
      EXPECT_TRUE(close({got}, {loss}, kExpValueRtol, 0.0f, "bce loss")) << n;
      EXPECT_EQ(read(gf), got) << n;  // one term for both
      EXPECT_TRUE(close({got_mean}, {mean}, kExpValueRtol, 0.0f, "sigmoid mean")) << n;
      if (run == 0) {
        first_d = got_d, first_loss = got, first_mean = got_mean;
      } else {
        EXPECT_EQ(got, first_loss) << "two runs differ, n " << n;
        EXPECT_EQ(got_mean, first_mean) << "two runs differ, n " << n;
        EXPECT_TRUE(close(got_d, first_d, 0.0f, 0.0f, "second run's gradient")) << n;
      }
    }
  }
}

// |z| = 1e4: exp(-|z|) is 0 on the GPU too, so the loss is |z| or 0 and the gradient +-1 or 0,
// exactly.
TEST(BceLogitsGpu, ExtremeLogitsAreExact) {
  const std::vector<float> z = {1e4f, 1e4f, -1e4f, -1e4f}, t = {0.0f, 1.0f, 1.0f, 0.0f};
  Tensor gz = upload(z), gt = upload(t), gd = device_nan(4), gl = device_nan(1);
  bce_logits_forward_backward(gpu(), 4, gz.data(), gt.data(), gd.data(), gl.data());
  EXPECT_EQ(read(gl), 5e3f);  // (1e4 + 0 + 1e4 + 0) / 4
  EXPECT_TRUE(close(download(gd), {0.25f, 0.0f, -0.25f, 0.0f}, 0.0f, 0.0f, "gradient"));
}

TEST(SoftmaxCrossEntropyGpu, MatchesTheCpuAndIsDeterministic) {
  for (const Rows s : softmax_rows(10000)) {
    const int64_t total = s.n * s.k;
    std::vector<float> z = inputs(total, 6.0f, 5), d(total);
    z[0] = 1e4f;
    if (s.n > 1) z[s.k] = -1e4f;
    const std::vector<float> y = labels(s.n, s.k);
    float loss = 0.0f, fwd = 0.0f;
    softmax_cross_entropy_forward_backward(cpu_backend(), s.n, s.k, z.data(), y.data(), d.data(),
                                           &loss);
    softmax_cross_entropy_forward(cpu_backend(), s.n, s.k, z.data(), y.data(), &fwd);
    Tensor gz = upload(z), gy = upload(y);
    std::vector<float> first_d;
    float first_loss = 0.0f;
    for (int run = 0; run < 2; ++run) {
      Tensor gd = device_nan(total), gl = device_nan(1), gf = device_nan(1);
      softmax_cross_entropy_forward_backward(gpu(), s.n, s.k, gz.data(), gy.data(), gd.data(),
                                             gl.data());
      softmax_cross_entropy_forward(gpu(), s.n, s.k, gz.data(), gy.data(), gf.data());
      const std::vector<float> got_d = download(gd);
      const float got = read(gl);
      EXPECT_TRUE(close(got_d, d, 0.0f, kExpGradAtol / static_cast<float>(s.n), "gradient"))
          << s.n << "x" << s.k;
      EXPECT_TRUE(close({got}, {loss}, kExpValueRtol, 1e-7f, "loss")) << s.n << "x" << s.k;
      EXPECT_TRUE(close({read(gf)}, {fwd}, kExpValueRtol, 1e-7f, "forward")) << s.n << "x" << s.k;
      if (run == 0) {
        first_d = got_d, first_loss = got;
      } else {
        EXPECT_EQ(got, first_loss) << "two runs differ, " << s.n << "x" << s.k;
        EXPECT_TRUE(close(got_d, first_d, 0.0f, 0.0f, "second run's gradient"));
      }
    }
  }
}

TEST(SparsityGpu, ColumnSumsAndMeansAreTheCpus) {
  for (const Rows s : sparsity_shapes()) {
    const std::vector<float> a = activations(s, 7);
    std::vector<float> sums(s.k), means(s.k), from(s.k);
    sparsity_column_sums(cpu_backend(), s.n, s.k, a.data(), sums.data());
    sparsity_column_means(cpu_backend(), s.n, s.k, a.data(), means.data());
    from = sums;
    sparsity_means_from_sums(cpu_backend(), s.k, 3 * s.n, from.data());
    Tensor ga = upload(a), gs = device_nan(s.k), gm = device_nan(s.k);
    sparsity_column_sums(gpu(), s.n, s.k, ga.data(), gs.data());
    sparsity_column_means(gpu(), s.n, s.k, ga.data(), gm.data());
    EXPECT_TRUE(close(download(gs), sums, 0.0f, 0.0f, "column sums")) << s.n << "x" << s.k;
    EXPECT_TRUE(close(download(gm), means, 0.0f, 0.0f, "column means")) << s.n << "x" << s.k;
    sparsity_means_from_sums(gpu(), s.k, 3 * s.n, gs.data());
    EXPECT_TRUE(close(download(gs), from, 0.0f, 0.0f, "means from sums")) << s.n << "x" << s.k;
  }
}

TEST(SparsityGpu, L1MatchesTheCpuAccumulatesAndIsDeterministic) {
  for (const Rows s : sparsity_shapes()) {
    const SparsityArgs args = sparsity_args(s);
    const int64_t total = s.n * s.k;
    std::vector<float> x = inputs(total, 1.0f, 8);
    x[0] = 0.0f;
    const std::vector<float> d0 = inputs(total, 0.5f, 9);
    std::vector<float> d = d0;
    float value = 0.0f;
    sparsity_l1_value(cpu_backend(), args, x.data(), &value);
    sparsity_l1_add_grad(cpu_backend(), args, x.data(), d.data());
    sparsity_l1_add_grad(cpu_backend(), args, x.data(), d.data());  // twice: it adds
    const float mirror = L1Finish{args.weight, args.n}(block_sum_on_host(total, AbsTerm{x.data()}));
    Tensor gx = upload(x), gd = upload(d0), gv = device_nan(1), gv2 = device_nan(1);
    sparsity_l1_value(gpu(), args, gx.data(), gv.data());
    sparsity_l1_value(gpu(), args, gx.data(), gv2.data());
    sparsity_l1_add_grad(gpu(), args, gx.data(), gd.data());
    sparsity_l1_add_grad(gpu(), args, gx.data(), gd.data());
    EXPECT_EQ(read(gv), mirror) << s.n << "x" << s.k;
    EXPECT_EQ(read(gv2), read(gv)) << "two runs differ, " << s.n << "x" << s.k;
    EXPECT_LE(ulps(read(gv), value), 1) << s.n << "x" << s.k;
    EXPECT_TRUE(close(download(gd), d, 0.0f, 0.0f, "L1 gradient, added twice"))
        << s.n << "x" << s.k;
  }
}

TEST(SparsityGpu, KlMatchesTheCpuAccumulatesAndIsDeterministic) {
  for (const Rows s : sparsity_shapes()) {
    const SparsityArgs args = sparsity_args(s);
    const std::vector<float> rho_hat = test::rho_hat(s, 10);
    float value = 0.0f;
    sparsity_kl_value(cpu_backend(), args, rho_hat.data(), &value);
    const std::vector<float> d0 = inputs(s.n * s.k, 0.5f, 11);
    std::vector<float> d = d0, coef = rho_hat;
    sparsity_kl_add_grad(cpu_backend(), args, coef.data(), d.data());
    coef = rho_hat;
    sparsity_kl_add_grad(cpu_backend(), args, coef.data(), d.data());  // twice: it adds

    Tensor grh = upload(rho_hat), gd = upload(d0), gv = device_nan(1), gv2 = device_nan(1);
    sparsity_kl_value(gpu(), args, grh.data(), gv.data());
    sparsity_kl_value(gpu(), args, grh.data(), gv2.data());
    EXPECT_TRUE(close({read(gv)}, {value}, kExpValueRtol, 0.0f, "KL value")) << s.n << "x" << s.k;
    EXPECT_EQ(read(gv2), read(gv)) << "two runs differ, " << s.n << "x" << s.k;
    for (int run = 0; run < 2; ++run) {
      Tensor gc = upload(rho_hat);
      sparsity_kl_add_grad(gpu(), args, gc.data(), gd.data());
      EXPECT_TRUE(close(download(gc), coef, 0.0f, 0.0f, "KL per-unit gradient"))
          << s.n << "x" << s.k;
    }
    EXPECT_TRUE(close(download(gd), d, 0.0f, 0.0f, "KL gradient, added twice"))
        << s.n << "x" << s.k;
  }
}

void check_weight_decay(const std::vector<int64_t>& sizes) {
  const float lambda = 1e-4f;
  std::vector<std::vector<float>> w, g;
  std::vector<Tensor> gw, gg;
  std::vector<DecayedParam> cpu_params, params;
  for (size_t k = 0; k < sizes.size(); ++k) {
    w.push_back(inputs(sizes[k], 0.1f, 20 + static_cast<uint32_t>(k)));
    g.push_back(inputs(sizes[k], 1.0f, 40 + static_cast<uint32_t>(k)));
    gw.push_back(upload(w.back()));
    gg.push_back(upload(g.back()));
  }
  for (size_t k = 0; k < sizes.size(); ++k) {
    cpu_params.push_back({w[k].data(), g[k].data(), sizes[k]});
    params.push_back({gw[k].data(), gg[k].data(), sizes[k]});
  }
  float value = 0.0f;
  l2_weight_decay(cpu_backend(), lambda, cpu_params, &value);
  l2_weight_decay(cpu_backend(), lambda, cpu_params, &value);  // twice: the gradients add
  const float mirror = l2_decay_value_on_host(lambda, cpu_params);
  Tensor gv = device_nan(1), gv2 = device_nan(1);
  l2_weight_decay(gpu(), lambda, params, gv.data());
  l2_weight_decay(gpu(), lambda, params, gv2.data());
  EXPECT_EQ(read(gv), mirror) << sizes.size() << " params";
  EXPECT_EQ(read(gv2), read(gv)) << "two runs differ, " << sizes.size() << " params";
  EXPECT_LE(ulps(read(gv), value), sizes.size() > kDecayBatch ? 3 : 1) << sizes.size();
  for (size_t k = 0; k < sizes.size(); ++k)
    EXPECT_TRUE(close(download(gg[k]), g[k], 0.0f, 0.0f, "decay gradient, added twice")) << k;
}

TEST(WeightDecayGpu, MatchesTheCpuAccumulatesAndIsDeterministic) {
  check_weight_decay({});
  check_weight_decay({1});
  check_weight_decay({3, 1, 257});
  check_weight_decay(sae_weight_sizes());
  check_weight_decay(decay_sizes(2 * kDecayBatch + 3));  // more than one launch takes
}

// The loss classes on GPU tensors: the value comes back through DeviceScalar.
TEST(LossesGpu, MseAndBceThroughTheLossClasses) {
  const int64_t n = 256;
  const std::vector<float> p = values(n, 0.0f, 1.0f, 30), t = values(n, 0.0f, 1.0f, 31);
  Tensor cp = Tensor::view(const_cast<float*>(p.data()), Shape{n}),
         ct = Tensor::view(const_cast<float*>(t.data()), Shape{n}), cd(Shape{n});
  Tensor gp = upload(p), gt = upload(t), gd(Shape{n}, Device::cuda(0));
  MSELoss mse;
  const float want = mse.forward_backward(cp, ct, cd);
  EXPECT_LE(ulps(mse.forward_backward(gp, gt, gd), want), 1);
  EXPECT_TRUE(close(download(gd), std::vector<float>(cd.data(), cd.data() + n), 0.0f, 0.0f,
                    "mse gradient"));
  BCEWithLogitsLoss bce;
  EXPECT_TRUE(close({bce.forward(gp, gt)}, {bce.forward(cp, ct)}, kExpValueRtol, 0.0f, "bce"));
}

TEST(LossesGpu, SparsityPenaltyOnGpuActivations) {
  const Rows s{256, 30};
  const std::vector<float> a = activations(s, 32);
  Tensor ca = Tensor::view(const_cast<float*>(a.data()), Shape{s.n, s.k}), cd(Shape{s.n, s.k});
  cd.fill(0.0f);
  Tensor ga = upload(a).reshaped(Shape{s.n, s.k}), gd = upload(std::vector<float>(s.n * s.k, 0.0f));
  for (auto kind : {SparsityOptions::Kind::kKL, SparsityOptions::Kind::kL1}) {
    SparsityPenalty cpu_pen({kind, 0.05f, 3e-3f}), gpu_pen({kind, 0.05f, 3e-3f});
    EXPECT_TRUE(close({gpu_pen.value(ga, 0)}, {cpu_pen.value(ca, 0)}, kExpValueRtol, 0.0f,
                      "penalty value"));
    cpu_pen.add_grad(ca, cd, 0);
    gpu_pen.add_grad(ga, gd, 0);
    EXPECT_TRUE(close(download(gd), std::vector<float>(cd.data(), cd.data() + s.n * s.k), 0.0f,
                      0.0f, "penalty gradient"));
  }
}

}  // namespace
}  // namespace strata
