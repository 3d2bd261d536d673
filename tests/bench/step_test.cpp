// One training step of each benchmark model runs, gives finite losses and moves the parameters;
// the random draws are keyed, so the same seed gives the same step.
#include <gtest/gtest.h>

#include <string>

#include <cmath>
#include <vector>

#include "bench/step.h"
#include "core/losses/loss.h"
#include "core/rng.h"

namespace strata::bench {
namespace {

std::vector<float> copy_of(const Tensor& t) {
  return {t.data(), t.data() + t.numel()};
}

bool changed(const std::vector<float>& before, const Tensor& after) {
  for (int64_t i = 0; i < after.numel(); ++i)
    if (before[i] != after[i]) return true;
  return false;
}

TEST(BenchStep, ResidentDataRanges) {
  const ModelInfo& ae = find_model("sae_layer1");
  ResidentData a(ae, Shape{784}, 4, 3, 1);
  const ModelInfo& gan = find_model("dcgan28");
  ResidentData g(gan, Shape{1, 28, 28}, 4, 2, 1);
  EXPECT_EQ(a.batch_view(0).shape(), (Shape{4, 784}));
  EXPECT_EQ(g.batch_view(5).shape(), (Shape{4, 1, 28, 28}));
  EXPECT_EQ(a.batch_view(4).data(), a.batch_view(1).data());  // cycled
  float amin = 1, amax = 0, gmin = 1, gmax = -1;
  for (int k = 0; k < 3; ++k)
    for (int64_t i = 0; i < a.batch_view(k).numel(); ++i) {
      amin = std::min(amin, a.batch_view(k)[i]);
      amax = std::max(amax, a.batch_view(k)[i]);
    }
  for (int k = 0; k < 2; ++k)
    for (int64_t i = 0; i < g.batch_view(k).numel(); ++i) {
      gmin = std::min(gmin, g.batch_view(k)[i]);
      gmax = std::max(gmax, g.batch_view(k)[i]);
    }
  EXPECT_GE(amin, 0.0f);
  EXPECT_LT(amax, 1.0f);
  EXPECT_LT(amin, 0.01f);
  EXPECT_GE(gmin, -1.0f);
  EXPECT_LT(gmax, 1.0f);
  EXPECT_LT(gmin, -0.98f);
}

class EveryModel : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryModel, OneStepGivesFiniteLossesAndMovesTheParameters) {
  const ModelInfo& info = find_model(GetParam());
  const int64_t batch = 4;
  std::unique_ptr<TrainStep> step = make_train_step(info, batch, 3);
  ResidentData data(info, step->sample_shape(), batch, 2, 3);
  std::vector<std::vector<float>> before;
  std::vector<const Tensor*> params;
  if (auto* ae = dynamic_cast<AutoencoderStep*>(step.get())) {
    params = {&ae->net().params()};
  } else {
    auto* gs = dynamic_cast<GanStep*>(step.get());
    ASSERT_NE(gs, nullptr);
    params = {&gs->gan().g.params(), &gs->gan().d.params()};
  }
  for (const Tensor* p : params) before.push_back(copy_of(*p));
  for (uint64_t s = 0; s < 2; ++s) {
    step->run(data.batch_view(s), s);
    const StepLosses l = step->losses();
    EXPECT_TRUE(std::isfinite(l.loss)) << "step " << s;
    EXPECT_TRUE(std::isfinite(l.d_loss)) << "step " << s;
    EXPECT_GT(l.loss, 0.0f);
    if (info.kind == ModelKind::kGan) {
      EXPECT_GT(l.d_loss, 0.0f);
    }
  }
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(changed(before[i], *params[i])) << i;
}

TEST_P(EveryModel, SameSeedSameLosses) {
  const ModelInfo& info = find_model(GetParam());
  std::unique_ptr<TrainStep> a = make_train_step(info, 3, 11), b = make_train_step(info, 3, 11);
  ResidentData data(info, a->sample_shape(), 3, 1, 11);
  for (uint64_t s = 0; s < 2; ++s) {
    a->run(data.batch_view(0), s);
    b->run(data.batch_view(0), s);
    const StepLosses la = a->losses(), lb = b->losses();
    EXPECT_EQ(la.loss, lb.loss);
    EXPECT_EQ(la.d_loss, lb.d_loss);
  }
}

INSTANTIATE_TEST_SUITE_P(BenchStep, EveryModel,
                         ::testing::Values("sae_finetune", "sae_layer1", "dcgan28", "dcgan64"),
                         [](const auto& info) { return std::string(info.param); });

TEST(BenchStep, GanStepLeavesOnlyTheDiscriminatorStepsGradientsInD) {
  // After a GAN step D's gradients are those of its own step: the generator's backward through D
  // is frozen (param_grads = false) and adds nothing. Recompute D's step gradients by hand.
  const ModelInfo& info = find_model("dcgan28");
  GanStep step(info, 2, 5);
  ResidentData data(info, step.sample_shape(), 2, 1, 5);
  step.run(data.batch_view(0), 0);
  const std::vector<float> after = copy_of(step.gan().d.grads());

  GanStep ref(info, 2, 5);  // same seed: same weights and same z
  Sequential& g = ref.gan().g;
  Sequential& d = ref.gan().d;
  StepContext ctx;
  ctx.seed = 5;
  Tensor z(Shape{2, 100});
  for (int64_t i = 0; i < 2; ++i) {
    RandomStream rng(5, RngPurpose::kLatent, 0, 0, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < 100; ++j) z[i * 100 + j] = rng.normal();
  }
  const Tensor& fake = g.forward(z, ctx);
  Tensor ones(Shape{2, 1}), zeros = Tensor::zeros(Shape{2, 1}), dl(Shape{2, 1});
  ones.fill(1.0f);
  BCEWithLogitsLoss bce;
  d.zero_grads();
  bce.forward_backward(d.forward(data.batch_view(0), ctx), ones, dl);
  d.backward(dl, ctx, false);
  bce.forward_backward(d.forward(fake, ctx), zeros, dl);
  d.backward(dl, ctx, false);
  const Tensor& want = d.grads();
  ASSERT_EQ(static_cast<int64_t>(after.size()), want.numel());
  for (int64_t i = 0; i < want.numel(); ++i) ASSERT_FLOAT_EQ(after[i], want[i]) << i;
}

}  // namespace
}  // namespace strata::bench
