// The scaling model's formulas (bench/scaling_model.h): all-reduce times against the stated
// formulas, ring against tree, the overlap of buckets with backward and its bounds, the compute
// fit, weak and strong scaling, and the advice.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "bench/scaling_model.h"
#include "core/error.h"
#include "tests/support/lcg.h"

namespace strata::scaling {
namespace {

// A DGX-like cluster with round numbers: 8 GPUs a node, 400 GB/s and 2 us inside, 50 GB/s and
// 10 us between nodes, 5 us a call.
Cluster dgx() {
  Cluster c;
  c.name = "test";
  c.gpus_per_node = 8;
  c.intra = {2.0, 400.0};
  c.inter = {10.0, 50.0};
  c.call_us = 5.0;
  return c;
}

constexpr double kMB = 1e6;

TEST(ScalingModel, OneGpuCommunicatesNothing) {
  const Cluster c = dgx();
  for (Algorithm a :
       {Algorithm::kRing, Algorithm::kTree, Algorithm::kHierarchical, Algorithm::kAuto})
    EXPECT_EQ(allreduce_ms(c, a, 1, 100 * kMB), 0.0) << algorithm_name(a);
  StepLayout layout{{{0.3, 0.7, {{10 * kMB, 0.5}, {20 * kMB, 1.0}}}}, 0.0};
  const StepTime t = predict_step(layout, 12.5, c, Algorithm::kAuto, 1);
  EXPECT_EQ(t.step_ms, 12.5);
  EXPECT_EQ(t.exposed_ms, 0.0);
  EXPECT_EQ(t.comm_ms, 0.0);
}

TEST(ScalingModel, RingAndTreeFollowTheirFormulas) {
  const Cluster c = dgx();
  const double s = 64 * kMB;
  // One node, 4 GPUs: call + 2(N-1) a + 2(N-1)/N S / B.
  EXPECT_NEAR(allreduce_ms(c, Algorithm::kRing, 4, s),
              (5.0 + 6 * 2.0) * 1e-3 + 1.5 * s / 400e9 * 1e3, 1e-12);
  // 4 nodes of 8: bus bandwidth min(400, 8 * 50) = 400; 2(32 - 4) intra hops, 2(4 - 1) inter.
  EXPECT_NEAR(allreduce_ms(c, Algorithm::kRing, 32, s),
              (5.0 + 56 * 2.0 + 6 * 10.0) * 1e-3 + 2.0 * 31 / 32 * s / 400e9 * 1e3, 1e-12);
  // Tree: call + 2((ppn - 1) a_intra + log2(M) a_inter) + 2 S / B.
  EXPECT_NEAR(allreduce_ms(c, Algorithm::kTree, 32, s),
              (5.0 + 2 * (7 * 2.0 + 2 * 10.0)) * 1e-3 + 2.0 * s / 400e9 * 1e3, 1e-12);
  // Hierarchical: inside the node, then a ring of 4 nodes over S / 8 per GPU.
  EXPECT_NEAR(allreduce_ms(c, Algorithm::kHierarchical, 32, s),
              (5.0 + 14 * 2.0 + 6 * 10.0) * 1e-3 + 2.0 * 7 / 8 * s / 400e9 * 1e3 +
                  2.0 * 3 / 4 * (s / 8) / 50e9 * 1e3,
              1e-12);
}

TEST(ScalingModel, HierarchicalIsTheRingOnOneNode) {
  const Cluster c = dgx();
  for (int n : {2, 3, 8})
    EXPECT_DOUBLE_EQ(allreduce_ms(c, Algorithm::kHierarchical, n, 3 * kMB),
                     allreduce_ms(c, Algorithm::kRing, n, 3 * kMB));
}

TEST(ScalingModel, RingWinsLargeMessagesTreeWinsLatencyAtScale) {
  const Cluster c = dgx();
  // The ring's latency grows with N, the tree's with log2 of the nodes; the tree moves 2S against
  // the ring's 2(N-1)/N S. So the tree wins small messages on many GPUs, the ring large ones on
  // few.
  EXPECT_LT(allreduce_ms(c, Algorithm::kTree, 512, 1 * kMB),
            allreduce_ms(c, Algorithm::kRing, 512, 1 * kMB));
  EXPECT_LT(allreduce_ms(c, Algorithm::kRing, 16, 1000 * kMB),
            allreduce_ms(c, Algorithm::kTree, 16, 1000 * kMB));
  // On 64 GPUs they cross where the latency saved equals the bandwidth lost:
  // (2(N-M) a_i + 2(M-1) a_e) - 2((ppn-1) a_i + log2 M a_e) = (2 - 2(N-1)/N) S / B.
  const double saved_us = (2 * 56 * 2.0 + 2 * 7 * 10.0) - 2 * (7 * 2.0 + 3 * 10.0);
  const double cross = saved_us * 1e-6 * 400e9 / (2.0 / 64);
  EXPECT_LT(allreduce_ms(c, Algorithm::kTree, 64, 0.9 * cross),
            allreduce_ms(c, Algorithm::kRing, 64, 0.9 * cross));
  EXPECT_GT(allreduce_ms(c, Algorithm::kTree, 64, 1.1 * cross),
            allreduce_ms(c, Algorithm::kRing, 64, 1.1 * cross));
  for (double s : {0.1 * cross, cross, 10 * cross})
    EXPECT_EQ(allreduce_ms(c, Algorithm::kAuto, 64, s),
              std::min(allreduce_ms(c, Algorithm::kRing, 64, s),
                       allreduce_ms(c, Algorithm::kTree, 64, s)));
}

TEST(ScalingModel, SeveralNodesNeedAnInterNodeLink) {
  Cluster c = dgx();
  c.inter = {};
  EXPECT_GT(allreduce_ms(c, Algorithm::kRing, 8, kMB), 0.0);
  try {
    allreduce_ms(c, Algorithm::kRing, 16, kMB);
    FAIL() << "16 GPUs on nodes of 8 without a network";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("inter_node"), std::string::npos) << e.message();
  }
}

TEST(ScalingModel, OneBucketReadyAtTheEndIsAllExposed) {
  const Cluster c = dgx();
  const StepLayout layout{{{1.0 / 3, 2.0 / 3, {{40 * kMB, 1.0}}}}, 0.0};
  const StepTime t = predict_step(layout, 10.0, c, Algorithm::kRing, 8);
  EXPECT_NEAR(t.exposed_ms, t.comm_ms, 1e-12);
  EXPECT_NEAR(t.step_ms, 10.0 + t.comm_ms, 1e-12);
}

TEST(ScalingModel, AnEarlyBucketIsHidden) {
  const Cluster c = dgx();
  // 4 MB ready half-way through a 100 ms backward: its all-reduce (about 20 us) ends long before.
  const StepLayout layout{{{0.0, 1.0, {{4 * kMB, 0.5}}}}, 0.0};
  const StepTime t = predict_step(layout, 100.0, c, Algorithm::kRing, 8);
  EXPECT_GT(t.comm_ms, 0.0);
  EXPECT_EQ(t.exposed_ms, 0.0);
  EXPECT_EQ(t.step_ms, 100.0);
}

TEST(ScalingModel, OverlapStaysWithinItsBounds) {
  // Random layouts: with overlap the step is never shorter than the compute, nor than what one
  // channel needs once the first bucket is ready, and never longer than without overlap (every
  // all-reduce after its backward), which is compute + all communication.
  test::Lcg rng(7, 0x5ca1e);
  auto uniform = [&] { return static_cast<double>(rng.unit()); };
  for (int trial = 0; trial < 200; ++trial) {
    Cluster c = dgx();
    const int gpus = 1 << (1 + rng.next() % 9);
    StepLayout layout;
    double left = 1.0;
    const int segments = 1 + static_cast<int>(rng.next() % 2);
    for (int k = 0; k < segments; ++k) {
      Segment s;
      s.before = left * uniform() * 0.5;
      s.backward = (left - s.before) * (k + 1 == segments ? 1.0 : uniform());
      left -= s.before + s.backward;
      double ready = 0;
      const int buckets = 1 + static_cast<int>(rng.next() % 6);
      for (int b = 0; b < buckets; ++b) {
        ready = b + 1 == buckets ? 1.0 : std::min(1.0, ready + uniform() * 0.5);
        s.buckets.push_back({uniform() * 50 * kMB, ready});
      }
      layout.segments.push_back(s);
    }
    layout.rest = left;
    const double compute = 0.1 + uniform() * 20;
    const StepTime with = predict_step(layout, compute, c, Algorithm::kAuto, gpus);
    c.overlap = false;
    const StepTime without = predict_step(layout, compute, c, Algorithm::kAuto, gpus);
    EXPECT_GE(with.step_ms, compute);
    EXPECT_LE(with.step_ms, without.step_ms + 1e-9);
    EXPECT_NEAR(without.step_ms, compute + without.comm_ms, 1e-9);
    c.overlap = true;
    double elapsed = 0;
    for (const Segment& s : layout.segments) {
      double comm = 0;
      for (const Bucket& b : s.buckets) comm += allreduce_ms(c, Algorithm::kAuto, gpus, b.bytes);
      // A segment ends no sooner than its first bucket's ready time plus all its all-reduces.
      const double first = (s.before + s.buckets.front().ready * s.backward) * compute;
      EXPECT_GE(with.step_ms, elapsed + first + comm - 1e-9);
      elapsed += (s.before + s.backward) * compute;
    }
  }
}

TEST(ScalingModel, ComputeFit) {
  const ComputeModel one = fit_compute({{256, 2.56}});
  EXPECT_EQ(one.fixed_ms, 0.0);
  EXPECT_DOUBLE_EQ(one.ms(128), 1.28);
  const ComputeModel line = fit_compute({{64, 1.0 + 0.5}, {128, 1.0 + 1.0}, {256, 1.0 + 2.0}});
  EXPECT_NEAR(line.fixed_ms, 1.0, 1e-12);
  EXPECT_NEAR(line.per_sample_ms, 0.5 / 64, 1e-12);
  // A line with a negative intercept is no step time: proportional through the mean instead.
  const ComputeModel steep = fit_compute({{100, 1.0}, {200, 3.0}});
  EXPECT_EQ(steep.fixed_ms, 0.0);
  EXPECT_DOUBLE_EQ(steep.ms(150), 2.0);
  EXPECT_THROW(fit_compute({}), Error);
  EXPECT_THROW(fit_compute({{0, 1.0}}), Error);
}

TEST(ScalingModel, WeakAndStrongScaling) {
  const Cluster c = dgx();
  const StepLayout layout{{{1.0 / 3, 2.0 / 3, {{10 * kMB, 1.0}}}}, 0.0};
  const ComputeModel compute{0.5, 0.01};
  const std::vector<int> gpus = {1, 2, 8, 64, 512};
  const std::vector<ScalingRow> weak = weak_scaling(layout, compute, c, Algorithm::kRing, gpus, 64);
  ASSERT_EQ(weak.size(), gpus.size());
  EXPECT_EQ(weak[0].efficiency, 1.0);
  for (size_t i = 0; i < weak.size(); ++i) {
    EXPECT_EQ(weak[i].global_batch, 64 * gpus[i]);
    EXPECT_DOUBLE_EQ(weak[i].time.compute_ms, compute.ms(64));
    EXPECT_NEAR(weak[i].samples_per_s, weak[i].global_batch / weak[i].time.step_ms * 1e3, 1e-6);
    if (i > 0) {
      EXPECT_LE(weak[i].efficiency, weak[i - 1].efficiency);  // ring: comm grows with N
    }
  }
  const std::vector<ScalingRow> strong =
      strong_scaling(layout, compute, c, Algorithm::kRing, {1, 3, 8, 100, 1000}, 100);
  ASSERT_EQ(strong.size(), 4u);            // 1000 GPUs for 100 samples is left out
  EXPECT_EQ(strong[1].per_gpu_batch, 34);  // ceil(100 / 3): the busiest GPU sets the pace
  EXPECT_DOUBLE_EQ(strong[1].time.compute_ms, compute.ms(34));
  EXPECT_EQ(strong[0].efficiency, 1.0);
  EXPECT_NEAR(strong[2].efficiency, compute.ms(100) / (8 * strong[2].time.step_ms), 1e-12);
}

TEST(ScalingModel, BucketAndBatchAdvice) {
  const std::vector<BucketChoice> scan = {
      {1 << 20, 9, 10.0}, {4 << 20, 3, 9.0}, {16 << 20, 2, 9.005}, {64 << 20, 1, 12.0}};
  // Within 0.1% of the fastest: the size used now, else the larger bucket.
  EXPECT_EQ(best_bucket(scan, 64 << 20).bucket_bytes, 16 << 20);
  EXPECT_EQ(best_bucket(scan, 4 << 20).bucket_bytes, 4 << 20);
  EXPECT_EQ(best_bucket(scan, 1 << 20).bucket_bytes, 16 << 20);
  const Cluster c = dgx();
  const StepLayout layout{{{1.0 / 3, 2.0 / 3, {{10 * kMB, 1.0}}}}, 0.0};
  const ComputeModel compute{0.0, 0.01};
  const int64_t b = smallest_efficient_batch(layout, compute, c, Algorithm::kAuto, 512, 0.9, 4096);
  ASSERT_GT(b, 1);
  auto efficiency = [&](int64_t batch) {
    return weak_scaling(layout, compute, c, Algorithm::kAuto, {512}, batch)[0].efficiency;
  };
  EXPECT_GE(efficiency(b), 0.9);
  EXPECT_LT(efficiency(b / 2), 0.9);
  EXPECT_EQ(smallest_efficient_batch(layout, compute, c, Algorithm::kAuto, 512, 0.9, b / 2), 0);
}

TEST(ScalingModel, AlgorithmNames) {
  for (Algorithm a :
       {Algorithm::kRing, Algorithm::kTree, Algorithm::kHierarchical, Algorithm::kAuto})
    EXPECT_EQ(parse_algorithm(algorithm_name(a)), a);
  EXPECT_THROW(parse_algorithm("butterfly"), Error);
}

}  // namespace
}  // namespace strata::scaling
