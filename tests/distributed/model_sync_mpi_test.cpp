// broadcast_model and average_scalar, run under mpirun with 1..4 ranks and without mpirun. Each
// rank counts its wrong values and the counts are summed over ranks, so all ranks pass or fail
// together and none is left waiting in a collective.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/layers/activations.h"  // defines: Activation, ActivationKind
#include "core/layers/batchnorm.h"    // defines: BatchNorm, BatchNormOptions
#include "core/layers/dense.h"        // defines: Dense, DenseOptions
#include "core/sequential.h"
#include "distributed/cross_rank_sum.h"
#include "distributed/model_sync.h"
#include "tests/support/mpi_test_main.h"

namespace strata {
namespace {

constexpr int64_t kFeatures = 8;

// Dense(12) / BatchNorm / ReLU / Dense(kFeatures), built with seed on `device`; the BatchNorm
// running statistics are set to values that depend on `tag` (the rank that built it).
Sequential make_model(uint64_t seed, int tag, Device device = Device::cpu()) {
  Sequential net;
  DenseOptions d1;
  d1.units = 12;
  net.add(std::make_unique<Dense>(d1));
  net.add(std::make_unique<BatchNorm>(BatchNormOptions{}));
  net.add(std::make_unique<Activation>(ActivationKind::kReLU));
  DenseOptions d2;
  d2.units = kFeatures;
  net.add(std::make_unique<Dense>(d2));
  net.build(Shape{kFeatures}, seed, device);
  int k = 0;
  for (Tensor* t : net.state()) {
    Tensor host(t->shape());
    for (int64_t i = 0; i < t->numel(); ++i)
      host[i] = 0.25f * static_cast<float>(tag + 1) + 0.01f * static_cast<float>(i + 7 * k);
    copy(*t, host);
    ++k;
  }
  return net;
}

// Values of a tensor on any device, on the host.
std::vector<float> values(const Tensor& t) {
  const Tensor host = t.to(Device::cpu());
  return std::vector<float>(host.data(), host.data() + host.numel());
}

TEST(ModelSync, BroadcastModelMakesEveryRankEqualToRoot) {
  Communicator& comm = *g_comm;
  const int rank = comm.rank();
  Sequential model = make_model(static_cast<uint64_t>(rank) + 1, rank);
  // Rank 0's model, rebuilt identically on every rank: the expected result.
  Sequential expected = make_model(1, 0);
  ASSERT_EQ(model.num_params(), expected.num_params());
  ASSERT_EQ(model.state().size(), 2u);

  int64_t differing_before = 0;
  for (int64_t i = 0; i < model.num_params(); ++i)
    differing_before += model.params()[i] != expected.params()[i];

  broadcast_model(comm, model, 0);

  int64_t errors = 0;
  for (int64_t i = 0; i < model.num_params(); ++i)
    errors += model.params()[i] != expected.params()[i];
  const auto got = model.state();
  const auto want = expected.state();
  for (size_t s = 0; s < got.size(); ++s) {
    if (got[s]->numel() != want[s]->numel()) {
      ++errors;
      continue;
    }
    for (int64_t i = 0; i < got[s]->numel(); ++i) errors += (*got[s])[i] != (*want[s])[i];
  }
  EXPECT_EQ(global_errors(comm, errors), 0);
  // The test is meaningful: ranks other than 0 did start from different weights.
  if (rank != 0) {
    EXPECT_GT(differing_before, 0);
  }
}

// A model on a device under a host-buffer communicator (the emulated device stands for a GPU):
// its parameters and statistics go through host copies and arrive equal to root's.
TEST(ModelSync, BroadcastModelStagesADeviceModelThroughTheHost) {
  Communicator& comm = *g_comm;
  ASSERT_FALSE(comm.device_buffers());
  const int rank = comm.rank();
  Sequential model = make_model(static_cast<uint64_t>(rank) + 1, rank, Device::emulated());
  const Sequential expected = make_model(1, 0);
  broadcast_model(comm, model, 0);
  int64_t errors = values(model.params()) != values(const_cast<Sequential&>(expected).params());
  const auto got = model.state();
  const auto want = const_cast<Sequential&>(expected).state();
  for (size_t s = 0; s < got.size(); ++s) {
    errors += !(got[s]->device() == Device::emulated());
    errors += values(*got[s]) != values(*want[s]);
  }
  errors += !(model.params().device() == Device::emulated());
  EXPECT_EQ(global_errors(comm, errors), 0);
}

// CommCrossRankSum on device memory: rank r adds r + i at i, so the sum is w(w-1)/2 + w i.
TEST(ModelSync, CrossRankSumOfDeviceValues) {
  Communicator& comm = *g_comm;
  const int w = comm.size();
  CommCrossRankSum sum(comm, Device::emulated());
  int64_t errors = 0;
  for (int64_t count : {int64_t{5}, int64_t{3}, int64_t{9}}) {  // the staging grows and shrinks
    Tensor host(Shape{count});
    for (int64_t i = 0; i < count; ++i) host[i] = static_cast<float>(comm.rank() + i);
    Tensor on_device = host.to(Device::emulated());
    sum.sum(on_device.data(), count);
    const Tensor back = on_device.to(Device::cpu());
    for (int64_t i = 0; i < count; ++i)
      errors += back[i] != static_cast<float>(w * (w - 1) / 2 + w * i);
  }
  EXPECT_EQ(global_errors(comm, errors), 0);
}

TEST(ModelSync, AverageScalarIsTheMeanOverRanks) {
  Communicator& comm = *g_comm;
  const int w = comm.size();
  const float v = 1.5f + 2.0f * static_cast<float>(comm.rank());
  const float mean = average_scalar(comm, v);
  // mean of 1.5 + 2r for r in [0, w) = 1.5 + (w - 1)
  const float expected = 1.5f + static_cast<float>(w - 1);
  const int64_t errors = std::abs(mean - expected) > 1e-5f ? 1 : 0;
  EXPECT_EQ(global_errors(comm, errors), 0) << "rank " << comm.rank() << " got " << mean;
}

}  // namespace
}  // namespace strata
