// CollectiveQueue (collective_queue.h): the ring of job slots, the communication thread, the
// calling-thread fallback's polling, waits with a timeout and the broken state. No MPI here: the
// CollectiveRunner makes the backend's calls.
#include "distributed/collective_queue.h"

#include <sstream>
#include <utility>

#include "core/error.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;

const char* kind_name(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::kAllReduce:
      return "all_reduce";
    case CollectiveKind::kBroadcast:
      return "broadcast";
    case CollectiveKind::kBarrier:
      return "barrier";
    case CollectiveKind::kAllGather:
      return "all_gather";
  }
  return "collective";
}

}  // namespace

CollectiveQueue::CollectiveQueue(std::unique_ptr<CollectiveRunner> runner, double timeout_s,
                                 bool threaded)
    : runner_(std::move(runner)), timeout_s_(timeout_s), threaded_(threaded) {}

std::shared_ptr<CollectiveQueue> CollectiveQueue::create(std::unique_ptr<CollectiveRunner> runner,
                                                         double timeout_s, bool threaded) {
  std::shared_ptr<CollectiveQueue> q(new CollectiveQueue(std::move(runner), timeout_s, threaded));
  if (threaded) q->thread_ = std::thread(thread_main, q);
  return q;
}

std::exception_ptr CollectiveQueue::timeout_error(const CollectiveJob& job) const {
  std::ostringstream os;
  os << kind_name(job.kind);
  if (job.kind != CollectiveKind::kBarrier)
    os << " of " << job.count << " " << data_type_name(job.type);
  os << " did not complete within " << timeout_s_
     << " s (distributed.timeout_s): another rank has probably failed or stopped; look for its "
        "error above, or raise distributed.timeout_s";
  return std::make_exception_ptr(Error(os.str(), __FILE__, __LINE__));
}

// Marks the queue broken (the first error wins) and throws it. Called with mu_ held.
void CollectiveQueue::fail(std::exception_ptr error) {
  if (!error_) error_ = std::move(error);
  done_cv_.notify_all();
  std::rethrow_exception(error_);
}

// Calling-thread mode: polls a started job until done; false when the deadline passed first.
bool CollectiveQueue::poll(uint64_t slot, Clock::time_point deadline) {
  for (;;) {
    if (runner_->test(slot)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
}

// Calling-thread mode, with mu_ held: completes jobs in order through seq.
void CollectiveQueue::complete_through(uint64_t seq) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout());
  while (completed_ <= seq) {
    const uint64_t slot = completed_ % kSlots;
    bool done = false;
    try {
      done = poll(slot, deadline);
    } catch (...) {
      fail(std::current_exception());
    }
    if (!done) fail(timeout_error(jobs_[slot]));
    ++completed_;
  }
}

void CollectiveQueue::wait(uint64_t seq) {
  std::unique_lock<std::mutex> lock(mu_);
  if (completed_ > seq) return;
  if (error_) std::rethrow_exception(error_);
  if (!threaded_) return complete_through(seq);
  const bool finished =
      done_cv_.wait_for(lock, timeout(), [&] { return completed_ > seq || error_; });
  if (completed_ > seq) return;
  if (error_) std::rethrow_exception(error_);
  if (!finished) fail(timeout_error(jobs_[seq % kSlots]));
}

uint64_t CollectiveQueue::submit(const CollectiveJob& job) {
  std::unique_lock<std::mutex> lock(mu_);
  if (error_) std::rethrow_exception(error_);
  if (submitted_ - completed_ == kSlots) {
    // The ring is full: wait for the oldest job, as its wait would.
    if (!threaded_) {
      complete_through(completed_);
    } else if (!done_cv_.wait_for(lock, timeout(),
                                  [&] { return submitted_ - completed_ < kSlots || error_; })) {
      fail(timeout_error(jobs_[completed_ % kSlots]));
    }
    if (error_) std::rethrow_exception(error_);
  }
  const uint64_t seq = submitted_;
  const uint64_t slot = seq % kSlots;
  jobs_[slot] = job;
  if (!threaded_) {
    try {
      runner_->start(slot, jobs_[slot]);
    } catch (...) {
      fail(std::current_exception());
    }
    ++submitted_;
    return seq;
  }
  ++submitted_;
  lock.unlock();
  work_cv_.notify_one();
  return seq;
}

bool CollectiveQueue::stop() {
  bool in_use = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Let queued collectives finish, so no buffer is left in flight; a broken queue has already
    // waited its timeout once and does not wait again.
    if (!error_ && completed_ < submitted_) {
      if (threaded_) {
        if (!done_cv_.wait_for(lock, timeout(), [&] { return completed_ == submitted_ || error_; }))
          error_ = timeout_error(jobs_[completed_ % kSlots]);
      } else {
        try {
          complete_through(submitted_ - 1);
        } catch (...) {
          // Already recorded in error_; the caller (a destructor) has no one to report to.
        }
      }
    }
    stop_ = true;
    in_use = busy_ || (!threaded_ && completed_ < submitted_);
  }
  if (thread_.joinable()) {
    work_cv_.notify_one();
    if (in_use) {
      // Stuck inside a call waiting for a rank that stopped: it cannot be joined. It holds the
      // queue alive; abort_job (distributed/fault.h) ends the process.
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  return in_use;
}

void CollectiveQueue::abandon(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_) return;
  error_ = std::make_exception_ptr(Error(
      "this rank left its collectives unfinished after an error (" + reason +
          "); the ranks no longer agree on the next collective, so this communicator takes no "
          "more: end the job and restart it",
      __FILE__, __LINE__));
  done_cv_.notify_all();
  work_cv_.notify_all();
}

bool CollectiveQueue::broken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<bool>(error_);
}

int64_t CollectiveQueue::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(submitted_ - completed_);
}

// The communication thread: runs queued jobs in order until stopped (after draining the queue)
// or broken (after a failure the ranks no longer agree on what comes next, so nothing more runs).
void CollectiveQueue::thread_main(std::shared_ptr<CollectiveQueue> keep_alive) {
  CollectiveQueue& q = *keep_alive;
  std::unique_lock<std::mutex> lock(q.mu_);
  for (;;) {
    q.work_cv_.wait(lock, [&] { return q.stop_ || (!q.error_ && q.completed_ < q.submitted_); });
    if (q.error_ || q.completed_ == q.submitted_) return;
    const CollectiveJob job = q.jobs_[q.completed_ % kSlots];
    q.busy_ = true;
    lock.unlock();
    std::exception_ptr error;
    try {
      q.runner_->run(job);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    q.busy_ = false;
    if (error) {
      if (!q.error_) q.error_ = error;
    } else {
      ++q.completed_;
    }
    q.done_cv_.notify_all();
  }
}

}  // namespace strata
