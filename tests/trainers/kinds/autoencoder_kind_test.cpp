// The autoencoder and classifier kinds train, and the sparsity penalty's gradient is scaled by a
// rank's share of the global batch like the loss it belongs to.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/optim/optimizer.h"
#include "tests/trainers/kinds/kinds_test_util.h"
#include "trainers/autoencoder_step.h"
#include "trainers/kinds/autoencoder.h"

namespace strata {
namespace {

using test::build_kind;
using test::metric;
using test::parse_kind;
using test::position;
using test::separable_batch;

const char* const kPlain = R"(
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: flatten}
    - {type: dense, units: 6, name: code}
    - {type: sigmoid}
    - {type: dropout, rate: 0.1}
    - {type: dense, units: 64}
    - {type: reshape, shape: [1, 8, 8]}
optimizer: {kind: adam, lr: 0.01}
trainer:
  kind: autoencoder
  batch_size: 16
  corruption: {kind: mask, p: 0.2}
  sparsity: {kind: kl, target: 0.2, weight: 0.01, layer: 2}
)";

TEST(AutoencoderKind, TrainLowersLoss) {
  auto spec = parse_kind(kPlain);
  auto built = build_kind(*spec, 16);
  Phase& p = *built->trainer->phases().at(0);
  p.begin(true);
  const Batch b = separable_batch(16, 4, 2);
  double first = 0;
  Metrics m;
  for (int s = 0; s < 80; ++s) {
    m = p.step(b, position(s, 16)).read();
    if (s == 0) first = metric(m, "loss");
    EXPECT_GE(metric(m, "sparsity"), 0.0);
  }
  EXPECT_LT(metric(m, "loss"), 0.5 * first);
  EXPECT_NE(built->trainer->network("autoencoder"), nullptr);
}

// The context's precision reaches the kind's networks: at bf16 the network computes other values
// than at fp32 from the same weights and batch.
TEST(AutoencoderKind, NetworksTakeTheContextsPrecision) {
  auto spec = parse_kind(kPlain);
  const Batch b = separable_batch(16, 4, 2);
  std::vector<std::vector<float>> outputs;
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kFp32}) {
    auto built = build_kind(*spec, 16, 3, p);
    Sequential& net = *built->trainer->network("autoencoder");
    StepContext ctx;
    ctx.training = false;
    const Tensor& y = net.forward(b.images, ctx);
    outputs.emplace_back(y.data(), y.data() + y.numel());
  }
  EXPECT_NE(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[0], outputs[2]);
}

TEST(ClassifierKind, AccuracyRises) {
  auto spec = parse_kind(R"(
model:
  input_shape: [1, 8, 8]
  layers: [{type: flatten}, {type: dense, units: 12}, {type: relu}, {type: dense, units: 4}]
optimizer: {kind: adam, lr: 0.01}
trainer: {kind: classifier, batch_size: 32, epochs: 1}
)");
  auto built = build_kind(*spec, 32);
  Phase& p = *built->trainer->phases().at(0);
  EXPECT_TRUE(p.needs_labels());
  const Batch b = separable_batch(32, 4, 9);
  const Metrics m0 = p.step(b, position(0, 32)).read();
  Metrics m;
  for (int s = 1; s < 60; ++s) m = p.step(b, position(s, 32)).read();
  EXPECT_GE(metric(m, "accuracy"), 0.95);
  EXPECT_LT(metric(m, "loss"), metric(m0, "loss"));
}

// A whole batch of 8 versus the same batch as two ranks' halves (4 + 4, each scaled by 4/8 and
// summed as the reducer would): the gradients must agree, sparsity term included (L1 is a mean
// over samples, so the split is exact).
TEST(AutoencoderStepSparsity, ScaledByShareOfGlobalBatch) {
  Sequential net;
  {
    auto spec = parse_kind(kPlain);
    net = dynamic_cast<AutoencoderSpec&>(*spec).config().model.build(7);
  }
  LocalCommunicator comm;
  ParallelNet pnet(net, comm);
  SGD sgd(SGDOptions{});
  AutoencoderStepOptions o;
  o.seed = 1;
  SparsityTarget t;
  t.penalty.kind = SparsityOptions::Kind::kL1;
  t.penalty.weight = 0.5f;  // large, so that a missing scale would show
  t.layer = 2;
  o.sparsity = t;
  AutoencoderStep step(pnet, sgd, o);

  const Batch b = separable_batch(8, 4, 4);
  const Tensor x = b.images;
  step.compute_grads(x, position(0, 8));
  EXPECT_EQ(step.last_penalty_scale(), 1.0f);
  Tensor whole(net.grads().shape());
  whole.copy_from(net.grads());

  Tensor sum = Tensor::zeros(net.grads().shape());
  for (int half = 0; half < 2; ++half) {
    Tensor part(Shape{4, 1, 8, 8});
    for (int64_t i = 0; i < part.numel(); ++i) part[i] = x[half * part.numel() + i];
    BatchPosition pos = position(0, 8);
    pos.sample_offset = half * 4;
    step.compute_grads(part, pos);
    EXPECT_EQ(step.last_penalty_scale(), 0.5f);
    for (int64_t i = 0; i < sum.numel(); ++i) sum[i] += net.grads()[i];
  }
  double max_err = 0, max_abs = 0;
  for (int64_t i = 0; i < sum.numel(); ++i) {
    max_err = std::max(max_err, static_cast<double>(std::fabs(sum[i] - whole[i])));
    max_abs = std::max(max_abs, static_cast<double>(std::fabs(whole[i])));
  }
  EXPECT_LT(max_err, 1e-5 * std::max(1.0, max_abs)) << "max |grad| " << max_abs;

  // Without the scale the sparsity part would be counted twice: check that it matters here.
  AutoencoderStepOptions no_pen = o;
  no_pen.sparsity.reset();
  Sequential net2 = dynamic_cast<AutoencoderSpec&>(*parse_kind(kPlain)).config().model.build(7);
  ParallelNet pnet2(net2, comm);
  AutoencoderStep plain(pnet2, sgd, no_pen);
  plain.compute_grads(x, position(0, 8));
  double diff = 0;
  for (int64_t i = 0; i < whole.numel(); ++i)
    diff = std::max(diff, static_cast<double>(std::fabs(whole[i] - net2.grads()[i])));
  EXPECT_GT(diff, 1e-3) << "the penalty should change the gradient";
}

}  // namespace
}  // namespace strata
