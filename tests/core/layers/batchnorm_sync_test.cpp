// Tests of synchronised BatchNorm: threads stand for data-parallel ranks (FakeRanks), and one
// BatchNorm per rank on its slice of the batch must match one on the whole batch; also the
// cross-rank calls per pass, the global value count past 2^24, and no allocation per step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/layers/batchnorm.h"
#include "tests/core/layers/batchnorm_fixture.h"
#include "tests/support/gradcheck.h"
#include "tests/support/heap_counter.h"

namespace strata {
namespace {

using testing::Bn;
using testing::kEps;
using testing::mode;

// W threads stand for W data-parallel ranks. sum() waits until every rank has called it, adds
// their buffers in rank order (so every rank gets the same bits, as an all-reduce must deliver)
// and copies the total back to each. Buffers are sized up front: a call allocates nothing.
class FakeRanks {
 public:
  static constexpr int kMaxCalls = 16;

  FakeRanks(int world, int64_t max_count)
      : world_(world),
        slots_(world, std::vector<float>(max_count)),
        total_(max_count),
        calls_(world, 0),
        last_count_(world, 0),
        counts_(world, std::vector<int64_t>(kMaxCalls)),
        ranks_(world) {
    for (int r = 0; r < world; ++r) ranks_[r] = Rank(this, r);
  }
  CrossRankSum* rank(int r) { return &ranks_[r]; }
  int calls(int r) const { return calls_[r]; }
  // The count of rank r's i-th call (i < kMaxCalls).
  int64_t count(int r, int i) const { return counts_[r][i]; }
  bool counts_mismatched() const { return mismatch_; }

 private:
  class Rank final : public CrossRankSum {
   public:
    Rank() = default;
    Rank(FakeRanks* all, int r) : all_(all), r_(r) {}
    void sum(float* data, int64_t count) override { all_->sum(r_, data, count); }

   private:
    FakeRanks* all_ = nullptr;
    int r_ = 0;
  };

  void sum(int r, float* data, int64_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    if (calls_[r] < kMaxCalls) counts_[r][calls_[r]] = count;
    last_count_[r] = count;
    ++calls_[r];
    std::copy(data, data + count, slots_[r].begin());
    const uint64_t generation = generation_;
    if (++arrived_ == world_) {
      for (int q = 0; q < world_; ++q) mismatch_ |= last_count_[q] != count;
      std::fill(total_.begin(), total_.begin() + count, 0.0f);
      for (int q = 0; q < world_; ++q)
        for (int64_t i = 0; i < count; ++i) total_[i] += slots_[q][i];
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      // No rank can finish the next call (and overwrite total_) before this one has copied it.
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
    std::copy(total_.begin(), total_.begin() + count, data);
  }

  const int world_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  uint64_t generation_ = 0;
  bool mismatch_ = false;
  std::vector<std::vector<float>> slots_;
  std::vector<float> total_;
  std::vector<int> calls_;
  std::vector<int64_t> last_count_;
  std::vector<std::vector<int64_t>> counts_;
  std::vector<Rank> ranks_;
};

// Runs f(rank) on one thread per rank; the first exception thrown on any rank is rethrown here.
template <class F>
void on_ranks(int world, F&& f) {
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        f(r);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

Shape with_batch(const Shape& s, int64_t n) {
  return s.rank() == 2 ? Shape{n, s[1]} : Shape{n, s[1], s[2], s[3]};
}

// Samples [first, first + count) of t, as a tensor of their own.
Tensor slice(const Tensor& t, int64_t first, int64_t count) {
  const int64_t per = t.numel() / t.dim(0);
  Tensor s(with_batch(t.shape(), count));
  std::copy(t.data() + first * per, t.data() + (first + count) * per, s.data());
  return s;
}

// a is within 1e-5 of b relative to |b| (absolute below 1).
void expect_close(const Tensor& a, const float* b, const char* what, int rank) {
  for (int64_t i = 0; i < a.numel(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-5f * std::max(1.0f, std::abs(b[i])))
        << what << " rank " << rank << " index " << i;
}

// One BatchNorm on the whole batch without sync against one per rank on its slice (`split`
// samples each) with a shared FakeRanks: two train steps (so the running statistics are checked
// after accumulating), then eval mode, which must make no cross-rank calls.
void check_synced_matches_full(const Shape& global, const std::vector<int64_t>& split,
                               bool affine) {
  SCOPED_TRACE(global.str() + (affine ? " affine" : " no affine") + ", " +
               std::to_string(split.size()) + " ranks");
  const int world = static_cast<int>(split.size());
  const int64_t C = global[1], per = global.numel() / global[0];
  const BatchNormOptions o{.affine = affine};
  Bn full(global, o);
  std::vector<std::unique_ptr<Bn>> ranks;
  std::vector<int64_t> first(world);
  for (int r = 0, f = 0; r < world; f += split[r], ++r) {
    first[r] = f;
    ranks.push_back(std::make_unique<Bn>(with_batch(global, split[r]), o));
  }
  Tensor gb(Shape{C});
  testing::fill_random(gb, 40);
  for (int64_t c = 0; c < C; ++c) {
    full.gamma[c] = 1.0f + 0.5f * gb[c];
    full.beta[c] = gb[c] - 0.25f;
    for (auto& bn : ranks) {
      bn->gamma[c] = full.gamma[c];
      bn->beta[c] = full.beta[c];
    }
  }
  FakeRanks fake(world, 2 * C + 2);
  for (int r = 0; r < world; ++r) ranks[r]->layer.set_cross_rank_sum(fake.rank(r));

  for (int step = 0; step < 3; ++step) {
    const bool train = step < 2;
    Tensor x(global), y(global), dy(global), dx(global);
    testing::fill_random(x, 50 + step);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = 3.0f + 2.0f * x[i];  // |mean| > std
    testing::fill_random(dy, 60 + step);
    full.dgamma.fill(0.0f);
    full.dbeta.fill(0.0f);
    full.layer.forward(x, y, mode(train));
    full.layer.backward(x, y, dy, &dx, mode(train));

    std::vector<Tensor> xs, ys, dys, dxs, dxs_frozen;
    for (int r = 0; r < world; ++r) {
      xs.push_back(slice(x, first[r], split[r]));
      dys.push_back(slice(dy, first[r], split[r]));
      ys.emplace_back(xs[r].shape());
      dxs.emplace_back(xs[r].shape());
      dxs_frozen.emplace_back(xs[r].shape());
      ranks[r]->dgamma.fill(0.0f);
      ranks[r]->dbeta.fill(0.0f);
    }
    std::vector<int> calls_before(world);
    for (int r = 0; r < world; ++r) calls_before[r] = fake.calls(r);
    const int64_t all = global[0];  // the global batch
    on_ranks(world, [&](int r) {
      BatchNorm& bn = ranks[r]->layer;
      bn.forward(xs[r], ys[r], mode(train, true, all));
      bn.backward(xs[r], ys[r], dys[r], &dxs[r], mode(train, true, all));
      // A frozen network still needs the global sums for dx.
      bn.backward(xs[r], ys[r], dys[r], &dxs_frozen[r], mode(train, false, all));
    });
    std::vector<double> dg(C, 0.0), db(C, 0.0);
    for (int r = 0; r < world; ++r) {
      expect_close(ys[r], y.data() + first[r] * per, "y", r);
      expect_close(dxs[r], dx.data() + first[r] * per, "dx", r);
      expect_close(dxs_frozen[r], dx.data() + first[r] * per, "dx (param_grads false)", r);
      expect_close(ranks[r]->running_mean(), full.running_mean().data(), "running_mean", r);
      expect_close(ranks[r]->running_var(), full.running_var().data(), "running_var", r);
      for (int64_t c = 0; c < C; ++c) {
        dg[c] += ranks[r]->dgamma[c];
        db[c] += ranks[r]->dbeta[c];
      }
      EXPECT_EQ(fake.calls(r) - calls_before[r], train ? 4 : 0) << "rank " << r;
    }
    if (affine) {
      // dgamma and dbeta are sums with cancellation: the reference's own float rounding scales
      // with the sum of the magnitudes of their terms, not with the (small) result.
      std::vector<double> l1_dy(C, 0.0), l1_dyx(C, 0.0);
      for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t c = (i / (per / C)) % C;
        l1_dy[c] += std::abs(dy[i]);
        l1_dyx[c] += std::abs(dy[i] * (y[i] - full.beta[c]) / full.gamma[c]);
      }
      for (int64_t c = 0; c < C; ++c) {
        EXPECT_NEAR(dg[c], full.dgamma[c],
                    1e-5 * std::max(1.0f, std::abs(full.dgamma[c])) + 1e-7 * l1_dyx[c])
            << c;
        EXPECT_NEAR(db[c], full.dbeta[c],
                    1e-5 * std::max(1.0f, std::abs(full.dbeta[c])) + 1e-7 * l1_dy[c])
            << c;
      }
    }
  }
  EXPECT_FALSE(fake.counts_mismatched());
}

TEST(SyncBatchNorm, Matches1DFullBatch) {
  for (bool affine : {true, false}) {
    check_synced_matches_full(Shape{5, 7}, {2, 2, 1}, affine);  // uneven; one rank has m = 1
    check_synced_matches_full(Shape{6, 3}, {1, 5}, affine);
    check_synced_matches_full(Shape{128, 300}, {64, 64}, affine);  // parallel loops, 5 blocks
  }
}

TEST(SyncBatchNorm, Matches2DFullBatch) {
  for (bool affine : {true, false}) {
    check_synced_matches_full(Shape{5, 3, 4, 4}, {2, 2, 1}, affine);
    check_synced_matches_full(Shape{4, 2, 1, 3}, {1, 3}, affine);
    check_synced_matches_full(Shape{16, 16, 12, 12}, {8, 8}, affine);  // parallel loops
  }
}

// The first layer of a model has no dx: backward then needs no global sum.
TEST(SyncBatchNorm, CrossRankCallsPerPass) {
  const Shape in{3, 4, 2, 2};
  FakeRanks fake(2, 2 * 4 + 2);
  Bn a(in), b(in);
  a.layer.set_cross_rank_sum(fake.rank(0));
  b.layer.set_cross_rank_sum(fake.rank(1));
  Bn* bns[2] = {&a, &b};
  Tensor xs[2] = {Tensor(in), Tensor(in)}, ys[2] = {Tensor(in), Tensor(in)};
  Tensor dys[2] = {Tensor(in), Tensor(in)}, dxs[2] = {Tensor(in), Tensor(in)};
  for (int r = 0; r < 2; ++r) {
    testing::fill_random(xs[r], 70 + r);
    testing::fill_random(dys[r], 72 + r);
  }
  std::vector<int> per_call[2];
  on_ranks(2, [&](int r) {
    BatchNorm& bn = bns[r]->layer;
    auto calls = [&](auto&& f) {
      const int before = fake.calls(r);
      f();
      per_call[r].push_back(fake.calls(r) - before);
    };
    const int64_t all = 2 * in[0];
    calls([&] { bn.forward(xs[r], ys[r], mode(true, true, all)); });
    calls([&] { bn.backward(xs[r], ys[r], dys[r], &dxs[r], mode(true, true, all)); });
    calls([&] { bn.backward(xs[r], ys[r], dys[r], nullptr, mode(true, true, all)); });
    calls([&] { bn.backward(xs[r], ys[r], dys[r], &dxs[r], mode(true, false, all)); });
    calls([&] { bn.forward(xs[r], ys[r], mode(false)); });
    calls([&] { bn.backward(xs[r], ys[r], dys[r], &dxs[r], mode(false)); });
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(per_call[r], (std::vector<int>{2, 1, 0, 1, 0, 0})) << "rank " << r;
    // One buffer per call for all channels: sums, squared deviations, gradients. The value count
    // is not sent: every rank knows the global batch.
    EXPECT_EQ(fake.count(r, 0), 4);
    EXPECT_EQ(fake.count(r, 1), 4);
    EXPECT_EQ(fake.count(r, 2), 2 * 4);
    EXPECT_EQ(fake.count(r, 3), 2 * 4);
  }
  EXPECT_FALSE(fake.counts_mismatched());
}

TEST(SyncBatchNorm, GlobalBatchOfOneValueThrows) {
  FakeRanks fake(1, 2 * 3 + 2);
  Bn bn(Shape{1, 3});
  bn.layer.set_cross_rank_sum(fake.rank(0));
  Tensor x = Tensor::zeros(Shape{1, 3}), y(Shape{1, 3});
  EXPECT_THROW(bn.layer.forward(x, y, mode(true, true, 1)), Error);
  EXPECT_NO_THROW(bn.layer.forward(x, y, mode(false)));
  // Without the global batch size the synced path cannot count: a clear error too.
  EXPECT_THROW(bn.layer.forward(x, y, mode(true)), Error);
  // One sample on each of two ranks is a global batch of 2: fine.
  FakeRanks two(2, 2 * 3 + 2);
  Bn a(Shape{1, 3}), b(Shape{1, 3});
  a.layer.set_cross_rank_sum(two.rank(0));
  b.layer.set_cross_rank_sum(two.rank(1));
  Bn* bns[2] = {&a, &b};
  Tensor xs[2] = {Tensor::zeros(Shape{1, 3}), Tensor(Shape{1, 3})};
  Tensor ys[2] = {Tensor(Shape{1, 3}), Tensor(Shape{1, 3})};
  xs[1].fill(2.0f);
  EXPECT_NO_THROW(
      on_ranks(2, [&](int r) { bns[r]->layer.forward(xs[r], ys[r], mode(true, true, 2)); }));
  EXPECT_NEAR(ys[0][0], -1.0f, 1e-4);  // {0, 2}: mean 1, biased variance 1
  EXPECT_NEAR(ys[1][0], 1.0f, 1e-4);
}

// Stands for more ranks holding zeros: they add nothing to the sums, and their squared
// deviations about the global mean (m_extra values per channel at distance mean) to the second.
class ZeroRanks final : public CrossRankSum {
 public:
  ZeroRanks(int64_t C, int64_t M, int64_t m_extra) : c_(C), M_(M), m_extra_(m_extra) {}
  void sum(float* data, int64_t count) override {
    ASSERT_EQ(count, c_);
    if (calls_++ % 2 == 0) {
      for (int64_t c = 0; c < c_; ++c) mean[c] = data[c] / static_cast<double>(M_);
    } else {
      for (int64_t c = 0; c < c_; ++c)
        data[c] += static_cast<float>(static_cast<double>(m_extra_) * mean[c] * mean[c]);
    }
  }
  double mean[8] = {};

 private:
  int64_t c_, M_, m_extra_;
  int calls_ = 0;
};

// A global batch of 3 + 4095 * 8193 = 33550338 samples (> 2^24) on [N, 2]: the count is exact
// (it comes from the step's global batch, an int64, not from a float sum).
TEST(SyncBatchNorm, GlobalCountPastTwoToThe24) {
  Bn bn(Shape{3, 2});
  const int64_t M = 3 + 4095 * 8193;
  ZeroRanks zeros(2, M, M - 3);
  bn.layer.set_cross_rank_sum(&zeros);
  float v[6] = {1, 2, 3, 4, 5, 6};
  Tensor x = Tensor::view(v, Shape{3, 2}), y(Shape{3, 2});
  bn.layer.forward(x, y, mode(true, true, M));
  const double md = static_cast<double>(M);
  const double sums[2] = {9, 12}, squares[2] = {35, 56};  // of this rank's values
  for (int c = 0; c < 2; ++c) {
    const double mean = sums[c] / md, var = squares[c] / md - mean * mean;  // zeros elsewhere
    EXPECT_NEAR(bn.running_mean()[c], 0.1 * mean, 1e-6 * 0.1 * mean);
    EXPECT_NEAR(bn.running_var()[c], 0.9 + 0.1 * var * md / (md - 1), 1e-6);
    EXPECT_NEAR(y[2 + c], (v[2 + c] - mean) / std::sqrt(var + kEps), 1e-3);
  }
}

// The synced path gets its cross-rank buffer as scratch at setup: after the first step a train step
// (forward and backward on every rank) allocates nothing. Threads are started once: starting one
// allocates.
TEST(SyncBatchNorm, SteadyStateStepAllocatesNothing) {
  for (const Shape& in : {Shape{4, 6}, Shape{4, 3, 4, 4}}) {
    constexpr int kWorld = 2;
    FakeRanks fake(kWorld, 2 * in[1] + 2);
    Bn a(in), b(in);
    Bn* bns[kWorld] = {&a, &b};
    Tensor xs[kWorld] = {Tensor(in), Tensor(in)}, ys[kWorld] = {Tensor(in), Tensor(in)};
    Tensor dys[kWorld] = {Tensor(in), Tensor(in)}, dxs[kWorld] = {Tensor(in), Tensor(in)};
    for (int r = 0; r < kWorld; ++r) {
      bns[r]->layer.set_cross_rank_sum(fake.rank(r));
      testing::fill_random(xs[r], 80 + r);
      testing::fill_random(dys[r], 82 + r);
    }
    long before = 0, after = 0;
    std::mutex mu;
    std::condition_variable cv;
    int waiting = 0, phase = 0;
    // Both ranks wait here; the last to arrive runs `at` (the ranks are idle, so the counter
    // sees only what the steps allocated).
    auto barrier = [&](auto&& at) {
      std::unique_lock<std::mutex> lock(mu);
      const int p = phase;
      if (++waiting == kWorld) {
        at();
        waiting = 0;
        ++phase;
        cv.notify_all();
      } else {
        cv.wait(lock, [&] { return phase != p; });
      }
    };
    on_ranks(kWorld, [&](int r) {
      auto step = [&] {
        bns[r]->layer.forward(xs[r], ys[r], mode(true, true, kWorld * in[0]));
        bns[r]->layer.backward(xs[r], ys[r], dys[r], &dxs[r], mode(true, true, kWorld * in[0]));
      };
      step();
      barrier([&] { before = testing::heap_allocations(); });
      for (int s = 0; s < 4; ++s) step();
      barrier([&] { after = testing::heap_allocations(); });
    });
    EXPECT_EQ(after - before, 0) << "heap allocations in 4 synced steps, input " << in.str();
    EXPECT_EQ(fake.calls(0), 5 * 3);
  }
}

}  // namespace
}  // namespace strata
