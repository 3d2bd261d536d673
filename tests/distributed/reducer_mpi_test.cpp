// GradientReducer tests, run in the same program as the communicator tests (under mpirun with
// 1..4 ranks and without mpirun). Each rank counts its wrong values and the counts are summed over
// ranks, so all ranks pass or fail together and none is left waiting in a collective.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/layers/activations.h"  // defines: Activation, ActivationKind
#include "core/layers/dense.h"        // defines: Dense, DenseOptions
#include "core/losses/loss.h"         // defines: MSELoss
#include "core/optim/optimizer.h"     // defines: Adam, AdamOptions
#include "core/rng.h"                 // defines: RandomStream
#include "core/sequential.h"
#include "distributed/gradient_reducer.h"
#include "distributed/local_communicator.h"
#include "distributed/model_sync.h"  // defines: gradient_buffer_of, report_grads_to
#include "tests/support/mpi_test_main.h"

namespace strata {
namespace {

constexpr int64_t kFeatures = 16;
constexpr int64_t kGlobalBatch = 12;  // divisible by every world size tested (1, 2, 3, 4)
constexpr int kSteps = 5;
constexpr uint64_t kSeed = 11;

// Dense(h) / ReLU / ... / Dense(kFeatures) / Sigmoid, one hidden Dense+ReLU per entry of hidden,
// built on `device`.
Sequential make_autoencoder(const std::vector<int64_t>& hidden, Device device = Device::cpu()) {
  Sequential net;
  for (int64_t h : hidden) {
    DenseOptions o;
    o.units = h;
    net.add(std::make_unique<Dense>(o));
    net.add(std::make_unique<Activation>(ActivationKind::kReLU));
  }
  DenseOptions o;
  o.units = kFeatures;
  net.add(std::make_unique<Dense>(o));
  net.add(std::make_unique<Activation>(ActivationKind::kSigmoid));
  net.build(Shape{kFeatures}, kSeed, device);
  return net;
}

// The global batch of `step`, the same on every rank: row i from (seed, step, i).
void fill_global_batch(Tensor& x, uint64_t step) {
  for (int64_t i = 0; i < x.dim(0); ++i) {
    RandomStream rng(kSeed, RngPurpose::kTest, 2, step, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < kFeatures; ++j) x[i * kFeatures + j] = rng.uniform();
  }
}

struct Trained {
  std::vector<float> first_grads;  // the averaged gradients of step 0 (Adam hides a scale error)
  std::vector<float> params;       // after the last step
};

std::vector<float> copy_of(const Tensor& t) {
  const Tensor host = t.to(Device::cpu());
  return std::vector<float>(host.data(), host.data() + host.numel());
}

// Trains K steps on this rank's contiguous slice of each global batch, with the model on `device`.
Trained train(Communicator& comm, int64_t bucket_bytes, Device device = Device::cpu()) {
  const int64_t local = kGlobalBatch / comm.size();
  const int64_t first = comm.rank() * local;
  Sequential net = make_autoencoder({8}, device);
  GradientReducer reducer(comm, gradient_buffer_of(net), bucket_bytes);
  EXPECT_EQ(reducer.staged(), comm.size() > 1 && !device.is_cpu());
  report_grads_to(net, &reducer);
  AdamOptions ao;
  ao.lr = 1e-2f;
  Adam adam(ao);
  MSELoss mse;
  Tensor global(Shape{kGlobalBatch, kFeatures});
  Tensor dy(Shape{local, kFeatures}, device);
  Trained out;
  for (int step = 0; step < kSteps; ++step) {
    fill_global_batch(global, step);
    const Tensor x =
        Tensor::view(global.data() + first * kFeatures, Shape{local, kFeatures}).to(device);
    StepContext ctx;
    ctx.step = step;
    ctx.sample_offset = step * kGlobalBatch + first;
    net.zero_grads();
    const Tensor& y = net.forward(x, ctx);
    mse.forward_backward(y, x, dy);
    net.backward(dy, ctx, false);
    reducer.finalize();
    if (step == 0) out.first_grads = copy_of(net.grads());
    adam.step(net.params(), net.grads());
  }
  out.params = copy_of(net.params());
  return out;
}

TEST(GradientReducer, BucketsAreWholeLayersInReverseOrder) {
  Sequential net = make_autoencoder({32, 24, 8});
  const int64_t total = net.grads().numel();
  int param_layers = 0;
  for (int i = 0; i < net.num_layers(); ++i) param_layers += net.layer_param_count(i) > 0;
  for (int64_t bytes : {int64_t{1}, int64_t{1024}, int64_t{4096}, int64_t{25} << 20}) {
    GradientReducer reducer(*g_comm, gradient_buffer_of(net), bytes);
    const auto& buckets = reducer.buckets();
    ASSERT_FALSE(buckets.empty());
    // Every gradient lies in exactly one bucket.
    std::vector<int> cover(total, 0);
    for (const auto& b : buckets)
      for (int64_t k = b.offset; k < b.offset + b.count; ++k) ++cover[k];
    EXPECT_TRUE(std::all_of(cover.begin(), cover.end(), [](int c) { return c == 1; }))
        << "bytes " << bytes;
    // Whole layers: each layer's slice lies inside its bucket; layers without parameters have none.
    for (int i = 0; i < net.num_layers(); ++i) {
      const int b = reducer.bucket_of_layer(i);
      if (net.layer_param_count(i) == 0) {
        EXPECT_EQ(b, -1);
        continue;
      }
      ASSERT_GE(b, 0);
      EXPECT_GE(net.layer_param_offset(i), buckets[b].offset);
      EXPECT_LE(net.layer_param_offset(i) + net.layer_param_count(i),
                buckets[b].offset + buckets[b].count);
      EXPECT_GE(i, buckets[b].first_layer);
      EXPECT_LE(i, buckets[b].last_layer);
    }
    // Reverse order: bucket 0 ends the buffer and holds the last layer; each next one sits just
    // below. Each bucket but the last closed as soon as it reached the size.
    EXPECT_EQ(buckets[0].offset + buckets[0].count, total);
    EXPECT_EQ(buckets.back().offset, 0);
    for (size_t k = 0; k < buckets.size(); ++k) {
      const auto& b = buckets[k];
      if (k + 1 < buckets.size()) {
        EXPECT_EQ(buckets[k + 1].offset + buckets[k + 1].count, b.offset);
        EXPECT_LT(buckets[k + 1].last_layer, b.first_layer);
        EXPECT_GE(b.count * 4, bytes);
      }
      EXPECT_LT((b.count - net.layer_param_count(b.first_layer)) * 4, bytes);
    }
    if (bytes == 1) {
      EXPECT_EQ(static_cast<int>(buckets.size()), param_layers);
    } else if (bytes == 4096) {
      EXPECT_GT(buckets.size(), 1u);
    } else if (bytes == (int64_t{25} << 20)) {
      EXPECT_EQ(buckets.size(), 1u);
    }
  }
}

TEST(GradientReducer, WorldSizeOneLeavesGradientsAlone) {
  LocalCommunicator local;
  Sequential net = make_autoencoder({8});
  GradientReducer reducer(local, gradient_buffer_of(net), 1);
  EXPECT_FALSE(reducer.active());
  report_grads_to(net, &reducer);
  net.grads().fill(3.0f);
  reducer.finalize();
  const Tensor& g = net.grads();
  EXPECT_TRUE(std::all_of(g.data(), g.data() + g.numel(), [](float v) { return v == 3.0f; }));
}

int64_t count_mismatches(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return static_cast<int64_t>(std::max(got.size(), want.size()));
  int64_t errors = 0;
  for (size_t i = 0; i < got.size(); ++i)
    errors += !(std::fabs(got[i] - want[i]) <= 1e-5f * std::max(1.0f, std::fabs(want[i])));
  return errors;
}

TEST(GradientReducer, RanksTrainTheModelOfOneRankWithTheWholeBatch) {
  ASSERT_EQ(kGlobalBatch % g_comm->size(), 0) << "run with 1, 2, 3 or 4 ranks";
  LocalCommunicator local;
  const Trained want = train(local, GradientReducer::kDefaultBucketBytes);
  const int size = g_comm->size();
  for (int64_t bytes : {GradientReducer::kDefaultBucketBytes, int64_t{1}, int64_t{600}}) {
    const Trained got = train(*g_comm, bytes);
    int64_t grad_errors = count_mismatches(got.first_grads, want.first_grads);
    int64_t errors = count_mismatches(got.params, want.params);
    // Every rank ends with the same parameters, bit for bit.
    const int64_t n = static_cast<int64_t>(got.params.size());
    std::vector<float> all(n * size);
    g_comm->all_gather(got.params.data(), n, all.data());
    for (int r = 0; r < size; ++r)
      for (int64_t i = 0; i < n; ++i) errors += all[r * n + i] != got.params[i];
    EXPECT_EQ(global_errors(*g_comm, grad_errors), 0) << "step 0 gradients, bucket bytes " << bytes;
    EXPECT_EQ(global_errors(*g_comm, errors), 0) << "parameters, bucket bytes " << bytes;
  }
}

// A model on a device (the emulated one stands for a GPU) under a host-buffer communicator: the
// buckets go through the host buffer and training gives the CPU model's values bit for bit.
TEST(GradientReducer, DeviceGradientsAreStagedThroughTheHost) {
  ASSERT_EQ(kGlobalBatch % g_comm->size(), 0) << "run with 1, 2, 3 or 4 ranks";
  ASSERT_FALSE(g_comm->device_buffers());
  for (int64_t bytes : {GradientReducer::kDefaultBucketBytes, int64_t{1}, int64_t{600}}) {
    const Trained want = train(*g_comm, bytes);
    const Trained got = train(*g_comm, bytes, Device::emulated());
    int64_t errors = got.first_grads != want.first_grads;
    errors += got.params != want.params;
    EXPECT_EQ(global_errors(*g_comm, errors), 0) << "bucket bytes " << bytes;
  }
}

TEST(GradientReducer, BucketsStartBeforeBackwardEnds) {
  if (g_comm->size() == 1) GTEST_SKIP() << "world size 1: the reducer does not communicate";
  using Clock = GradientReducer::Clock;
  Sequential net = make_autoencoder({64, 64, 64});
  GradientReducer reducer(*g_comm, gradient_buffer_of(net), 1);  // one bucket per Dense layer
  ASSERT_GE(reducer.buckets().size(), 3u);
  report_grads_to(net, &reducer);
  Clock::time_point first_layer_start{};  // just before layer 0's backward
  net.add_output_grad_hook(0, [&](const Tensor&, Tensor&) { first_layer_start = Clock::now(); });
  const int64_t local = kGlobalBatch / g_comm->size();
  Tensor x(Shape{local, kFeatures}), dy(Shape{local, kFeatures});
  fill_global_batch(x, 0);
  MSELoss mse;
  int64_t errors = 0;
  for (int step = 0; step < 2; ++step) {
    StepContext ctx;
    ctx.step = step;
    net.zero_grads();
    mse.forward_backward(net.forward(x, ctx), x, dy);
    const Clock::time_point backward_start = Clock::now();
    net.backward(dy, ctx, false);
    const Clock::time_point backward_end = Clock::now();
    const auto& buckets = reducer.buckets();
    // The last layers' bucket is in flight while the first layers still run their backward.
    errors += !(buckets[0].launch_time < first_layer_start);
    errors += !(first_layer_start <= backward_end);
    for (const auto& b : buckets)
      errors += !(backward_start <= b.launch_time && b.launch_time <= backward_end);
    reducer.finalize();
  }
  EXPECT_EQ(global_errors(*g_comm, errors), 0);
}

TEST(GradientReducer, ASecondBackwardBeforeFinalizeThrows) {
  if (g_comm->size() == 1) GTEST_SKIP() << "world size 1: the reducer does not communicate";
  Sequential net = make_autoencoder({8});
  GradientReducer reducer(*g_comm, gradient_buffer_of(net), 1);
  report_grads_to(net, &reducer);
  const int64_t local = kGlobalBatch / g_comm->size();
  Tensor x(Shape{local, kFeatures}), dy(Shape{local, kFeatures});
  fill_global_batch(x, 0);
  MSELoss mse;
  StepContext ctx;
  net.zero_grads();
  mse.forward_backward(net.forward(x, ctx), x, dy);
  net.backward(dy, ctx, false);
  // Every rank throws at the same layer, so all have started the same collectives.
  EXPECT_THROW(net.backward(dy, ctx, false), Error);
  reducer.finalize();
}

}  // namespace
}  // namespace strata
