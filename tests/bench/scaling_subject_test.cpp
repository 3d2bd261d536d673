// What `strata scale` models of a real model (bench/scaling_subject.h): the layout's buckets are
// the GradientReducer's, every gradient byte is in one, buckets become ready in order as backward
// runs, the step's shares add up, and experiment files build the networks their kind trains.
#include <gtest/gtest.h>

#include <numeric>
#include <string>

#include "bench/models.h"
#include "bench/scaling_subject.h"
#include "core/error.h"

namespace strata::scaling {
namespace {

double shares(const StepLayout& l) {
  double sum = l.rest;
  for (const Segment& s : l.segments) sum += s.before + s.backward;
  return sum;
}

TEST(ScalingSubject, BucketsAreTheReducersForEveryModel) {
  for (const bench::ModelInfo& info : bench::model_infos()) {
    const auto subject = ScalingSubject::from_model(info.name);
    EXPECT_EQ(subject->batch(), info.batch);
    EXPECT_EQ(subject->bucket_bytes(), GradientReducer::kDefaultBucketBytes);
    for (int64_t bucket : {int64_t{64} << 10, int64_t{1} << 20, int64_t{25} << 20}) {
      const StepLayout layout = subject->layout(bucket);
      const auto reducer = subject->reducer_buckets(bucket);
      ASSERT_EQ(layout.segments.size(), reducer.size()) << info.name;
      EXPECT_NEAR(shares(layout), 1.0, 1e-12) << info.name;
      double bytes = 0;
      for (size_t k = 0; k < reducer.size(); ++k) {
        const Segment& s = layout.segments[k];
        ASSERT_EQ(s.buckets.size(), reducer[k].size()) << info.name << " bucket " << bucket;
        double last_ready = 0;
        for (size_t b = 0; b < s.buckets.size(); ++b) {
          EXPECT_EQ(s.buckets[b].bytes, static_cast<double>(reducer[k][b].count) * 4);
          EXPECT_GE(s.buckets[b].ready, last_ready);  // issued in the order backward makes them
          EXPECT_GT(s.buckets[b].ready, 0.0);
          last_ready = s.buckets[b].ready;
          bytes += s.buckets[b].bytes;
        }
        EXPECT_DOUBLE_EQ(last_ready, 1.0);  // the first layer has parameters: the last bucket
      }
      EXPECT_EQ(bytes, static_cast<double>(subject->gradient_bytes())) << info.name;
    }
  }
}

TEST(ScalingSubject, ReducedNetworksInTheOrderOfTheStep) {
  const auto ae = ScalingSubject::from_model("sae_finetune");
  ASSERT_EQ(ae->nets().size(), 1u);
  // docs/benchmarks.md's count of parameters, and the alignment padding of the flat buffer.
  EXPECT_EQ(ae->gradient_bytes(), ae->nets()[0].net->grads().numel() * 4);
  EXPECT_GE(ae->gradient_bytes(), int64_t{2837314} * 4);
  EXPECT_LT(ae->gradient_bytes(), int64_t{2837314} * 4 + 16 * 64);
  const StepLayout l = ae->layout(int64_t{25} << 20);
  EXPECT_NEAR(l.segments[0].before, 1.0 / 3, 1e-12);  // forward 1, backward 2
  const auto gan = ScalingSubject::from_model("dcgan64");
  ASSERT_EQ(gan->nets().size(), 2u);
  EXPECT_EQ(gan->nets()[0].role, "discriminator");  // D is reduced first, then G
  EXPECT_EQ(gan->nets()[1].role, "generator");
  EXPECT_GE(gan->gradient_bytes(), (int64_t{3576704} + 2765568) * 4);
}

TEST(ScalingSubject, LayerWorkCountsMultiplyAdds) {
  auto subject = ScalingSubject::from_model("sae_layer1");
  const std::vector<double>& w = subject->nets()[0].work;
  // 784-1000-784 with sigmoids: Dense 785,000 multiply-adds (with the bias), sigmoid 1,000 values.
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], 785000.0);
  EXPECT_EQ(w[1], 1000.0);
  EXPECT_EQ(w[2], 784784.0);
  EXPECT_EQ(w[3], 784.0);
  // dcgan28's D: Conv 1->64 k4 s2 p1 on 28x28 gives 14x14: 1,088 weights at 196 positions.
  auto gan = ScalingSubject::from_model("dcgan28");
  EXPECT_EQ(gan->nets()[0].work[0], 1088.0 * 196);
}

TEST(ScalingSubject, ExperimentFiles) {
  const std::string root = STRATA_SOURCE_DIR;
  const auto ae = ScalingSubject::from_config(root + "/configs/smoke/autoencoder.yaml");
  EXPECT_EQ(ae->kind(), "autoencoder");
  EXPECT_EQ(ae->batch(), 16);
  EXPECT_TRUE(ae->bench_model().empty());
  // 64 -> 8 -> 64 Dense: 520 + 576 parameters (and alignment padding).
  EXPECT_GE(ae->gradient_bytes(), (520 + 576) * 4);
  EXPECT_LT(ae->gradient_bytes(), (520 + 576 + 4 * 64) * 4);
  const auto gan = ScalingSubject::from_config(root + "/configs/smoke/gan.yaml");
  EXPECT_EQ(gan->kind(), "gan");
  ASSERT_EQ(gan->layout(1 << 20).segments.size(), 2u);
  EXPECT_THROW(ScalingSubject::from_config(root + "/configs/clusters/dgx_h100_ib.yaml"), Error);
}

}  // namespace
}  // namespace strata::scaling
