// The data-parallel promise, end to end through the trainers' steps: a model trained K steps with
// global batch B on w ranks equals the model trained by one rank on the whole batch, to 1e-5
// relative (max |a - b| / max |b| over the flat parameter buffer), for an autoencoder (denoising,
// with dropout) and for a GAN with synchronised BatchNorm. The batch is deliberately not a
// multiple of every world size (10 samples over 3 ranks: 3, 3, 4; over 4: 2, 3, 2, 3), so uneven
// splits are covered. Run by ctest without mpirun and under mpirun with 1 to 4 ranks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/dense.h"
#include "core/layers/dropout.h"
#include "core/optim/optimizer.h"
#include "core/rng.h"
#include "core/sequential.h"
#include "distributed/local_communicator.h"
#include "tests/support/mpi_test_main.h"
#include "tests/trainers/compare_runs.h"
#include "trainers/autoencoder_step.h"
#include "trainers/gan_step.h"
#include "trainers/parallel_net.h"

namespace strata {
namespace {

constexpr int64_t kGlobalBatch = 10;
constexpr int kSteps = 4;
constexpr uint64_t kSeed = 5;
constexpr float kRelTol = 1e-5f;

struct Slice {
  int64_t first = 0, count = 0;
};
// Rank r of w takes samples [r * B / w, (r + 1) * B / w) of each global batch.
Slice slice_of(int rank, int size) {
  const int64_t a = rank * kGlobalBatch / size, b = (rank + 1) * kGlobalBatch / size;
  return {a, b - a};
}

// Sample i of step s, the same on every rank: uniform in [lo, hi).
Tensor global_batch(int64_t features, uint64_t step, float lo, float hi) {
  Tensor x(Shape{kGlobalBatch, features});
  for (int64_t i = 0; i < kGlobalBatch; ++i) {
    RandomStream rng(kSeed, RngPurpose::kTest, 7, step, static_cast<uint64_t>(i));
    for (int64_t j = 0; j < features; ++j) x[i * features + j] = lo + (hi - lo) * rng.uniform();
  }
  return x;
}

Tensor rows(const Tensor& x, const Slice& s) {
  const int64_t per = x.numel() / x.dim(0);
  return Tensor::view(const_cast<float*>(x.data()) + s.first * per, Shape{s.count, per});
}

std::unique_ptr<Layer> dense(int64_t units, bool bias = true) {
  DenseOptions o;
  o.units = units;
  o.bias = bias;
  return std::make_unique<Dense>(o);
}
std::unique_ptr<Layer> act(ActivationKind k, float slope = 0.01f) {
  return std::make_unique<Activation>(k, slope);
}
std::unique_ptr<Layer> batchnorm() {
  return std::make_unique<BatchNorm>(BatchNormOptions{});
}

std::vector<float> copy_of(const Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}
std::vector<float> state_of(Sequential& net) {
  std::vector<float> out;
  for (Tensor* t : net.state()) out.insert(out.end(), t->data(), t->data() + t->numel());
  return out;
}

// 1 on every rank when got is within kRelTol of want here and equal, bit for bit, to rank 0's.
int64_t mismatch(Communicator& comm, const std::vector<float>& got, const std::vector<float>& want,
                 const char* what) {
  int64_t bad = 0;
  const double rel = testing::relative_error(got, want);
  if (comm.rank() == 0)
    std::printf("  %d rank(s), %s: relative error %.3g against one rank\n", comm.size(), what, rel);
  if (!(rel <= kRelTol)) {
    ADD_FAILURE() << what << ": relative error " << rel << " against one rank";
    bad = 1;
  }
  std::vector<float> root = got;
  comm.broadcast(root.data(), static_cast<int64_t>(root.size()), 0);
  if (root != got) {
    ADD_FAILURE() << what << ": differs from rank 0";
    bad = 1;
  }
  return global_errors(comm, bad);
}

// Remembers the gradients it is given (the first step's), then steps an Adam.
class RecordingAdam final : public Optimizer {
 public:
  explicit RecordingAdam(float lr) : adam_(AdamOptions{lr}) {}
  const char* kind() const override { return "adam"; }
  void step(Tensor& params, const Tensor& grads) override {
    if (first_grads.empty()) first_grads = copy_of(grads);
    adam_.step(params, grads);
  }
  std::vector<Tensor*> state() override { return adam_.state(); }
  std::vector<float> first_grads;

 private:
  Adam adam_;
};

// ---- autoencoder ----

constexpr int64_t kFeatures = 16;

Sequential make_autoencoder() {
  Sequential net;
  net.add(dense(12));
  net.add(act(ActivationKind::kReLU));
  net.add(std::make_unique<Dropout>(0.2f));
  net.add(dense(kFeatures));
  net.add(act(ActivationKind::kSigmoid));
  net.build(Shape{kFeatures}, kSeed);
  return net;
}

struct AeResult {
  std::vector<float> params, first_grads;
};

AeResult train_autoencoder(Communicator& comm, int64_t bucket_bytes) {
  Sequential net = make_autoencoder();
  ParallelOptions po;
  po.bucket_bytes = bucket_bytes;
  ParallelNet pnet(net, comm, po);
  RecordingAdam adam(1e-2f);
  AutoencoderStep step(pnet, adam, AutoencoderStepOptions{kSeed, 0.25f});
  const Slice s = slice_of(comm.rank(), comm.size());
  for (int k = 0; k < kSteps; ++k) {
    const Tensor x = global_batch(kFeatures, k, 0.0f, 1.0f);
    BatchPosition pos{static_cast<uint64_t>(k), k * kGlobalBatch + s.first, kGlobalBatch};
    step.run(rows(x, s), pos);
  }
  return {copy_of(net.params()), adam.first_grads};
}

TEST(DataParallel, AutoencoderOnRanksEqualsOneRankWithTheWholeBatch) {
  LocalCommunicator local;
  const AeResult want = train_autoencoder(local, GradientReducer::kDefaultBucketBytes);
  for (int64_t bytes : {GradientReducer::kDefaultBucketBytes, int64_t{1}}) {
    const AeResult got = train_autoencoder(*g_comm, bytes);
    EXPECT_EQ(mismatch(*g_comm, got.first_grads, want.first_grads, "first step's gradients"), 0)
        << "bucket bytes " << bytes;
    EXPECT_EQ(mismatch(*g_comm, got.params, want.params, "parameters"), 0)
        << "bucket bytes " << bytes;
  }
}

// ---- GAN with BatchNorm ----

constexpr int64_t kLatent = 6, kImage = 12;

struct GanNets {
  Sequential g, d;
};

// No bias before a BatchNorm (as DCGAN): BatchNorm removes it, so its true gradient is 0 and its
// computed one is rounding noise, which Adam would turn into steps of size lr in random directions
// that differ between any two summation orders.
GanNets make_gan() {
  GanNets n;
  n.g.add(dense(16, false));
  n.g.add(batchnorm());
  n.g.add(act(ActivationKind::kReLU));
  n.g.add(dense(kImage));
  n.g.add(act(ActivationKind::kTanh));
  n.g.build(Shape{kLatent}, kSeed);
  n.d.add(dense(16, false));
  n.d.add(batchnorm());
  n.d.add(act(ActivationKind::kLeakyReLU, 0.2f));
  n.d.add(dense(1));
  n.d.build(Shape{kImage}, kSeed + 1);
  return n;
}

struct GanResult {
  std::vector<float> g, d, g_state, d_state;
};

GanResult train_gan(Communicator& comm, bool sync_batchnorm) {
  GanNets nets = make_gan();
  ParallelOptions po;
  po.sync_batchnorm = sync_batchnorm;
  ParallelNet pg(nets.g, comm, po), pd(nets.d, comm, po);
  Adam opt_g(AdamOptions{2e-3f, 0.5f}), opt_d(AdamOptions{2e-3f, 0.5f});
  GanStep step(pg, pd, opt_g, opt_d, Shape{kLatent}, kSeed);
  const Slice s = slice_of(comm.rank(), comm.size());
  for (int k = 0; k < kSteps; ++k) {
    const Tensor x = global_batch(kImage, k, -1.0f, 1.0f);
    BatchPosition pos{static_cast<uint64_t>(k), k * kGlobalBatch + s.first, kGlobalBatch};
    step.d_step(rows(x, s), pos);
    step.g_step();
  }
  return {copy_of(nets.g.params()), copy_of(nets.d.params()), state_of(nets.g), state_of(nets.d)};
}

TEST(DataParallel, GanWithSynchronisedBatchNormOnRanksEqualsOneRank) {
  LocalCommunicator local;
  const GanResult want = train_gan(local, false);
  const GanResult got = train_gan(*g_comm, true);
  EXPECT_EQ(mismatch(*g_comm, got.g, want.g, "generator parameters"), 0);
  EXPECT_EQ(mismatch(*g_comm, got.d, want.d, "discriminator parameters"), 0);
  EXPECT_EQ(mismatch(*g_comm, got.g_state, want.g_state, "generator BatchNorm statistics"), 0);
  EXPECT_EQ(mismatch(*g_comm, got.d_state, want.d_state, "discriminator BatchNorm statistics"), 0);
}

TEST(DataParallel, PerRankBatchNormIsNotTheWholeBatchsStatistics) {
  // The default (per-rank statistics) is a different model once the batch is split: this is what
  // makes the test above mean something. With one rank both are the same.
  LocalCommunicator local;
  const GanResult want = train_gan(local, false);
  const GanResult got = train_gan(*g_comm, false);
  const double rel = testing::relative_error(got.d_state, want.d_state);
  const int64_t wrong = g_comm->size() == 1 ? !(rel == 0.0) : !(rel > 1e-4);
  EXPECT_EQ(global_errors(*g_comm, wrong), 0) << "relative difference " << rel;
}

TEST(DataParallel, GradScaleIsTheRanksShareOfTheGlobalBatch) {
  EXPECT_EQ(ParallelNet::grad_scale(10, 10), 1.0f);
  EXPECT_FLOAT_EQ(ParallelNet::grad_scale(3, 10), 0.3f);
  Tensor dy(Shape{2, 2});
  dy.fill(2.0f);
  scale_grad(dy, 0.25f);
  for (int64_t i = 0; i < dy.numel(); ++i) EXPECT_EQ(dy[i], 0.5f);
}

}  // namespace
}  // namespace strata
