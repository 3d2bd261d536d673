// CollectiveQueue without MPI (distributed/collective_queue.h): the ring, the communication
// thread, the calling-thread fallback, timeouts, the broken state and abandon(). Simulated ranks
// are threads of this process whose runners meet in a rendezvous, so the communication threads
// really run concurrently with their callers (the ThreadSanitizer build runs these tests).
#include "distributed/collective_queue.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "core/error.h"

namespace strata {
namespace {

// The ranks' meeting point: an all-reduce (sum) of float buffers across `ranks` runners. A
// released world makes every runner still waiting, and every later one, throw.
class World {
 public:
  explicit World(int ranks) : ranks_(ranks) {}

  void all_reduce(float* data, int64_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    if (released_) throw std::runtime_error("world released");
    const uint64_t gen = generation_;
    buffers_.push_back({data, count});
    if (static_cast<int>(buffers_.size()) == ranks_) {
      std::vector<float> sum(static_cast<size_t>(count), 0.0f);
      for (const auto& b : buffers_)
        for (int64_t i = 0; i < count; ++i) sum[i] += b.first[i];
      for (const auto& b : buffers_) std::copy(sum.begin(), sum.end(), b.first);
      buffers_.clear();
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen || released_; });
    if (generation_ == gen) throw std::runtime_error("world released");
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Runners inside all_reduce, waiting for the others.
  int waiting() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(buffers_.size());
  }

 private:
  const int ranks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<float*, int64_t>> buffers_;
  uint64_t generation_ = 0;
  bool released_ = false;
};

// Blocking calls only (communication-thread mode). The runner shares the world: a communication
// thread that stop() detaches may still be inside it after the test has returned.
class WorldRunner final : public CollectiveRunner {
 public:
  explicit WorldRunner(std::shared_ptr<World> w) : world_(std::move(w)) {}
  void run(const CollectiveJob& job) override {
    ASSERT_EQ(job.kind, CollectiveKind::kAllReduce);
    world_->all_reduce(static_cast<float*>(job.data), job.count);
  }
  void start(uint64_t, const CollectiveJob&) override { FAIL() << "threaded mode only"; }
  bool test(uint64_t) override { return true; }

 private:
  std::shared_ptr<World> world_;
};

CollectiveJob all_reduce_job(float* data, int64_t count) {
  CollectiveJob job;
  job.kind = CollectiveKind::kAllReduce;
  job.data = data;
  job.count = count;
  return job;
}

// Three ranks, each a caller thread with its own queue and communication thread, all-reduce a
// stream of buffers while they keep submitting (more jobs than the ring has slots), waiting in
// submission and in reverse order.
TEST(CollectiveQueue, RanksOnCommunicationThreadsReduceInOrder) {
  constexpr int kRanks = 3, kJobs = 300, kCount = 17;
  auto world = std::make_shared<World>(kRanks);
  std::atomic<int64_t> wrong{0};
  std::vector<std::thread> ranks;
  for (int r = 0; r < kRanks; ++r) {
    ranks.emplace_back([&, r] {
      auto q = CollectiveQueue::create(std::make_unique<WorldRunner>(world), 60.0, true);
      std::vector<std::vector<float>> bufs(kJobs, std::vector<float>(kCount));
      std::vector<uint64_t> seqs;
      for (int j = 0; j < kJobs; ++j) {
        for (int i = 0; i < kCount; ++i) bufs[j][i] = static_cast<float>(r * 1000 + j + i);
        seqs.push_back(q->submit(all_reduce_job(bufs[j].data(), kCount)));
        if (j % 50 == 49)  // wait for a batch, newest first
          for (int k = j; k > j - 50; --k) q->wait(seqs[k]);
      }
      for (int j = 0; j < kJobs; ++j) {
        q->wait(seqs[j]);
        for (int i = 0; i < kCount; ++i) {
          const float want = static_cast<float>((0 + 1000 + 2000) + kRanks * (j + i));
          wrong += bufs[j][i] != want;
        }
      }
      EXPECT_EQ(q->in_flight(), 0);
      EXPECT_FALSE(q->stop());
    });
  }
  for (auto& t : ranks) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

// One rank never arrives: the wait times out with the job's description, the queue is broken and
// every later submit or wait fails at once with that first error; the runner stays inside its
// call, so stop() detaches the communication thread and says the runner is still in use.
TEST(CollectiveQueue, ATimeoutBreaksTheQueue) {
  auto world = std::make_shared<World>(2);
  auto q = CollectiveQueue::create(std::make_unique<WorldRunner>(world), 0.2, true);
  std::vector<float> a(5, 1.0f);
  const uint64_t seq = q->submit(all_reduce_job(a.data(), 5));
  // The communication thread takes the job into the runner first (the bound only stops a hang):
  // a job still queued when the wait gives up would never start, and nothing would be stuck.
  for (int i = 0; i < 60000 && world->waiting() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(world->waiting(), 1);
  std::string first;
  try {
    q->wait(seq);
    ADD_FAILURE() << "the wait should have timed out";
  } catch (const Error& e) {
    first = e.message();
  }
  EXPECT_NE(first.find("all_reduce of 5 floats did not complete within 0.2 s"), std::string::npos)
      << first;
  EXPECT_TRUE(q->broken());
  try {
    q->submit(all_reduce_job(a.data(), 5));
    ADD_FAILURE() << "a broken queue took a job";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), first);
  }
  EXPECT_TRUE(q->stop());  // the runner is still inside its call
  world->release();  // lets the detached thread end (it keeps the queue, and so the world, alive)
}

// abandon(): this rank leaves its sequence; nothing more is submitted, the reason is kept, and a
// later abandon or failure does not replace it.
TEST(CollectiveQueue, AbandonRefusesLaterJobsWithTheReason) {
  auto world = std::make_shared<World>(1);
  auto q = CollectiveQueue::create(std::make_unique<WorldRunner>(world), 60.0, true);
  std::vector<float> a(3, 2.0f);
  q->wait(q->submit(all_reduce_job(a.data(), 3)));
  EXPECT_EQ(a, std::vector<float>(3, 2.0f));  // one rank: the sum is the value
  q->abandon("the step threw");
  q->abandon("a second reason");
  EXPECT_TRUE(q->broken());
  try {
    q->submit(all_reduce_job(a.data(), 3));
    ADD_FAILURE() << "an abandoned queue took a job";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("left its collectives unfinished after an error (the step threw)"),
              std::string::npos)
        << e.message();
  }
  EXPECT_FALSE(q->stop());
}

// Calling-thread mode: start() and test(), polled by wait() in submission order.
class PolledRunner final : public CollectiveRunner {
 public:
  void run(const CollectiveJob&) override { FAIL() << "calling-thread mode only"; }
  void start(uint64_t slot, const CollectiveJob& job) override {
    polls_[slot] = 3;  // done at the third test()
    jobs_[slot] = job;
  }
  bool test(uint64_t slot) override {
    if (--polls_[slot] > 0) return false;
    float* d = static_cast<float*>(jobs_[slot].data);
    for (int64_t i = 0; i < jobs_[slot].count; ++i) d[i] *= 2;
    return true;
  }

 private:
  std::array<int, CollectiveQueue::kSlots> polls_{};
  std::array<CollectiveJob, CollectiveQueue::kSlots> jobs_{};
};

TEST(CollectiveQueue, CallingThreadModeCompletesInOrder) {
  auto q = CollectiveQueue::create(std::make_unique<PolledRunner>(), 60.0, false);
  EXPECT_FALSE(q->threaded());
  std::vector<std::vector<float>> bufs(600, std::vector<float>(2, 1.0f));
  std::vector<uint64_t> seqs;
  for (auto& b : bufs) seqs.push_back(q->submit(all_reduce_job(b.data(), 2)));
  q->wait(seqs.back());  // completes every earlier job first
  EXPECT_EQ(q->in_flight(), 0);
  for (const auto& b : bufs) EXPECT_EQ(b, std::vector<float>(2, 2.0f));
  EXPECT_FALSE(q->stop());
}

}  // namespace
}  // namespace strata
